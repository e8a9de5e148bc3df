// Exits with status 0.
int main(int, char**) {
    return 0;
}
