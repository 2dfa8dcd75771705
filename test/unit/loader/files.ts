/** Test doubles for the analyzer's port onto `uses:` files. */
import type { WorkflowFiles } from '../../../src/engine/index';

/** A port that only knows whether a file exists: no inputs to check, nothing used in turn. */
export function existing(exists: (path: string, fromFile: string) => boolean): WorkflowFiles {
  return {
    identify: (file) => file,
    lookup: (path, fromFile) => (exists(path, fromFile) ? { found: true, info: { file: `${fromFile} → ${path}`, uses: [] } } : { found: false }),
  };
}
