/**
 * Re-checking a large workflow as it is edited. Parsing YAML is most of the cost
 * of a check (about 100 ms for 2,000 steps), and an edit nearly always touches one
 * step, so each item of `steps:` is parsed on its own and kept while its text is
 * unchanged. The pieces are joined into one document and checked as usual.
 *
 * Anything unusual — a flow-style `steps:`, a YAML error, anchors and aliases that
 * could cross pieces — falls back to parsing the whole file, so the result is always
 * what `loadWorkflow` gives (a test checks this on mutated and generated files).
 */
import { isMap, isScalar, isSeq, parseDocument, visit, YAMLSeq, type Document, type Node, type Pair } from 'yaml';
import { analyzeWorkflow, type AnalyzeOptions } from './analyze';
import { sectionProblems } from './sections';
import { loadDocument, loadWorkflow, sortProblems, YAML_OPTIONS, type LoadResult } from './load';

interface Piece {
  /** The step item node, its ranges currently shifted by `offset`. */
  node: Node;
  offset: number;
}

export class IncrementalChecker {
  private pieces = new Map<string, Piece>();

  /** The same as `checkWorkflow`, faster on the second and later calls. */
  check(text: string, file: string, options: AnalyzeOptions = {}): LoadResult {
    const result = this.load(text, file);
    result.problems.push(...sectionProblems(text, file, result.workflow));
    if (result.workflow) result.problems.push(...analyzeWorkflow(result.workflow, { source: result.source, ...options }));
    sortProblems(result.problems);
    return result;
  }

  load(text: string, file: string): LoadResult {
    const doc = this.parse(text);
    return doc ? loadDocument(doc, text, file) : loadWorkflow(text, file);
  }

  /** The document put together from cached and new pieces, or undefined to parse whole. */
  private parse(text: string): Document | undefined {
    const layout = splitSteps(text);
    if (!layout) return undefined;
    // The file without its steps block: small, and parsed every time.
    const skeletonText = text.slice(0, layout.headEnd) + text.slice(layout.stepsEnd);
    const skeleton = parseDocument(skeletonText, YAML_OPTIONS);
    if (skeleton.errors.length > 0 || hasAnchors(skeleton) || !isMap(skeleton.contents)) return undefined;
    shiftFrom(skeleton, layout.headEnd, layout.stepsEnd - layout.headEnd);
    const stepsPair = skeleton.contents.items.find((pair) => isScalar(pair.key) && pair.key.value === 'steps') as Pair<Node, Node | null> | undefined;
    // With its block cut out, `steps:` holds an empty scalar.
    const empty = stepsPair?.value;
    if (!stepsPair || (empty !== null && !(isScalar(empty) && empty.value === null))) return undefined;

    const next = new Map<string, Piece>();
    const items: Node[] = [];
    // A piece runs from its item's `-` to the next item's `-`, as the whole-file parse
    // delimits items; its indentation is put back in front so it parses the same.
    const pad = ' '.repeat(layout.itemIndent);
    for (let i = 0; i < layout.itemStarts.length; i++) {
      const start = layout.itemStarts[i] - layout.itemIndent;
      const end = layout.itemStarts[i + 1] ?? layout.stepsEnd;
      const chunk = pad + text.slice(layout.itemStarts[i], end);
      let piece = next.has(chunk) ? undefined : this.pieces.get(chunk);
      if (piece) {
        if (piece.offset !== start) shiftNode(piece.node, start - piece.offset);
        piece.offset = start;
      } else {
        const node = parsePiece(chunk);
        if (!node) return undefined;
        shiftNode(node, start);
        piece = { node, offset: start };
      }
      next.set(chunk, piece);
      items.push(piece.node);
    }
    this.pieces = next;
    const seq = new YAMLSeq();
    seq.items = items;
    seq.range = [layout.itemStarts[0], layout.stepsEnd, layout.stepsEnd];
    stepsPair.value = seq;
    // When `steps:` comes last, the file's mapping ends where its last step does.
    const root = skeleton.contents;
    if (root.range && root.range[1] <= layout.headEnd) root.range = [root.range[0], seq.range[1], seq.range[2]];
    if (skeleton.range && skeleton.range[1] <= layout.headEnd) skeleton.range = [skeleton.range[0], seq.range[1], seq.range[2]];
    return skeleton;
  }
}

interface Layout {
  /** Where the text after the `steps:` line starts. */
  headEnd: number;
  /** Where each step item's `-` is. */
  itemStarts: number[];
  /** The column of every item's `-`. */
  itemIndent: number;
  /** Where the first line after the steps block starts. */
  stepsEnd: number;
}

/**
 * Finds the block sequence under a top-level `steps:` and the line each item starts
 * on. Returns undefined for any layout it does not recognise.
 */
function splitSteps(text: string): Layout | undefined {
  const header = /^steps:[ \t]*(#[^\n]*)?\r?\n/m.exec(text);
  if (!header) return undefined;
  const headEnd = header.index + header[0].length;
  const itemStarts: number[] = [];
  let itemIndent = -1;
  let position = headEnd;
  while (position < text.length) {
    const lineEnd = text.indexOf('\n', position);
    const next = lineEnd === -1 ? text.length : lineEnd + 1;
    const line = text.slice(position, lineEnd === -1 ? text.length : lineEnd);
    const indent = line.length - line.trimStart().length;
    const content = line.trimStart();
    if (content !== '' && !content.startsWith('#')) {
      const isItem = content === '-' || content.startsWith('- ') || content.startsWith('-\t');
      if (itemIndent === -1) {
        if (!isItem) return undefined;
        itemIndent = indent;
      }
      if (indent < itemIndent || (indent === 0 && !isItem)) break;
      if (indent === itemIndent) {
        // Pieces are re-indented with spaces: a tab here must go through the whole-file parse and its error.
        if (!isItem || line.slice(0, indent).trim() !== '' || line.slice(0, indent).includes('\t')) return undefined;
        // Comments and blank lines just above an item belong to the item before it.
        itemStarts.push(position + indent);
      }
    } else if (content.startsWith('#') && indent === 0 && itemIndent > 0) {
      break;
    }
    position = next;
  }
  if (itemStarts.length === 0) return undefined;
  return { headEnd, itemStarts, itemIndent, stepsEnd: position };
}

/** One step item parsed alone: the item node, or undefined when it does not stand alone cleanly. */
function parsePiece(chunk: string): Node | undefined {
  const doc = parseDocument(chunk, YAML_OPTIONS);
  if (doc.errors.length > 0 || doc.warnings.length > 0 || hasAnchors(doc)) return undefined;
  if (!isSeq(doc.contents) || doc.contents.items.length !== 1) return undefined;
  const item = doc.contents.items[0] as Node | null;
  return item && item.range ? item : undefined;
}

function hasAnchors(doc: Document): boolean {
  let found = false;
  visit(doc, {
    Node(_, node) {
      if ('anchor' in node && node.anchor) found = true;
      return found ? visit.BREAK : undefined;
    },
    Alias() {
      found = true;
      return visit.BREAK;
    },
  });
  return found;
}

function shiftNode(node: Node, by: number): void {
  visit(node, {
    Node(_, n) {
      if (n.range) n.range = [n.range[0] + by, n.range[1] + by, n.range[2] + by];
    },
  });
}

/** Moves every position at or after `from` by `by`: the skeleton lacks the steps block. */
function shiftFrom(doc: Document, from: number, by: number): void {
  if (by === 0) return;
  const move = (r: number) => (r >= from ? r + by : r);
  visit(doc, {
    Node(_, n) {
      if (n.range) n.range = [move(n.range[0]), move(n.range[1]), move(n.range[2])];
    },
  });
  if (doc.range) doc.range = [move(doc.range[0]), move(doc.range[1]), move(doc.range[2])];
}
