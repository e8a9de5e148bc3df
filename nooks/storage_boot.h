// The storage stack at boot: the IDE driver and the FAT file system loaded as isolated
// extensions, and the first FAT volume found on the disks mounted at /disk.
#pragma once

namespace nooks {

// Loads /lib/modules/ata.ko and /lib/modules/vfat.ko (isolated; `storage=native` on the kernel
// command line loads them native) and mounts the first disk that holds a FAT volume at /disk.
// Says what it did on the console; a machine without a disk just has no /disk.
void start_storage();

} // namespace nooks
