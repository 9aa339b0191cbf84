import type { BootstrapProgress } from '@distroforge/rootfs-bootstrap';
import type { Reporter } from '../output/reporter.js';

/** Turns rootfs-bootstrap's progress events (apt or RPM) into the rootfs stage's progress line. */
export function rootfsProgress(reporter: Reporter): (event: BootstrapProgress) => void {
  return (e) => {
    if (e.phase === 'download')
      reporter.emit({
        type: 'progress',
        stage: 'rootfs',
        done: e.done,
        total: e.total,
        bytes: e.bytes,
        totalBytes: e.totalBytes,
        message: `download ${e.name}`,
      });
    else if (e.phase === 'unpack')
      reporter.emit({ type: 'progress', stage: 'rootfs', done: e.done, total: e.total, message: `unpack ${e.name}` });
    else if (e.phase === 'configure')
      reporter.emit({ type: 'progress', stage: 'rootfs', message: `configure: ${e.step}` });
  };
}
