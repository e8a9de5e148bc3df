// Exits with status 1.
int main(int, char**) {
    return 1;
}
