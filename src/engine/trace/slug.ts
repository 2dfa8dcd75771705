import * as path from 'node:path';

/**
 * The folder name for a workflow's runs: the file's base name without its
 * `.workflow.yaml` suffix, lower-cased, anything but letters and digits as `-`
 * (`Build a Website.workflow.yaml` → `build-a-website`). Folder names stay portable
 * across file systems; the full path is kept in each trace and in the index.
 */
export function workflowSlug(file: string, name?: string): string {
  const base = path.basename(file).replace(/(\.workflow)?\.ya?ml$/i, '');
  return slugify(base) || slugify(name ?? '') || 'workflow';
}

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
}
