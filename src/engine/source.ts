import type { Position, SourceRange } from './types';

/** Turns character offsets of one file into 1-based line/column ranges. */
export class SourceMap {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: clamped - this.lineStarts[low] + 1 };
  }

  range(offset: number, endOffset: number = offset): SourceRange {
    const start = Math.max(0, Math.min(offset, this.text.length));
    const end = Math.max(start, Math.min(endOffset, this.text.length));
    return { start: this.position(start), end: this.position(end), offset: start, endOffset: end };
  }
}
