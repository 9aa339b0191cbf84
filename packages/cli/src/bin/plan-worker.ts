// The bin's copy of rootfs-bootstrap's index-reading worker thread: bundled into dist/bin/ next to
// the bundled code that starts it (rootfs-bootstrap finds its worker as ./plan-worker.js beside
// itself, and plans in the calling thread, with more memory, when there is none).
import '@distroforge/rootfs-bootstrap/plan-worker';
