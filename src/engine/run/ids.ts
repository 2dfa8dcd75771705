/** Sortable, unique enough for file names: `2026-11-21T10-04-05-123Z-k3x9`. */
export function newRunId(now: number): string {
  const random = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
  return `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${random}`;
}
