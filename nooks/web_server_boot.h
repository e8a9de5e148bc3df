// Starts the web server (drivers/khttpd) at boot when a disk is mounted at /disk and the
// network is up, isolated unless the command line says httpd=native; `nohttpd` skips it.
#pragma once

namespace nooks {

void start_web_server();

} // namespace nooks
