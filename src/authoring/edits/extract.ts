/**
 * Extracting a run of consecutive steps into a sub-workflow file. The run is replaced
 * by one `uses:` step; what the run reads from earlier steps and from the workflow's
 * inputs becomes the sub-workflow's inputs (passed with `with:`), and what later steps
 * read of the run becomes its `outputs:` (read back as `steps.<new>.output.<step>`).
 */
import { isMap, stringify } from 'yaml';
import { checkWorkflow } from '../../engine';
import { inside, loadForEdit, referenceSpan, type Occurrence } from './references';
import { allIds, findStep, layoutOf, pairSpan, reindent, uniqueId } from './step-blocks';
import { AuthoringError, offsetAfter, type EditResult, type TextEdit } from './text-edit';

export interface ExtractOptions {
  /** The first and last step of the run (siblings; `from` first). */
  from: string;
  to: string;
  /** The id of the new `uses:` step; made unique. */
  id?: string;
  /** The sub-workflow's path, relative to the edited file. */
  path: string;
}

export function extractSteps(text: string, file: string, options: ExtractOptions): EditResult {
  const layout = layoutOf(text);
  const first = findStep(layout, options.from);
  const last = findStep(layout, options.to);
  if (first.list !== last.list || last.index < first.index) throw new AuthoringError('not-a-run', `\`${options.from}\` … \`${options.to}\` is not a run of consecutive steps in one list`);
  const blocks = first.list.blocks.slice(first.index, last.index + 1);
  const run = { start: blocks[0].start, end: blocks[blocks.length - 1].end };
  const { occurrences, workflow } = loadForEdit(text, file);
  const runIds = new Set(occurrences.filter((o) => o.target === 'step' && o.role === 'definition' && inside(o, run)).map((o) => o.name));
  const newId = uniqueId(options.id ?? `${options.from}_to_${options.to}`.replace(/^(.+)_to_\1$/, '$1_sub'), allIds(layout));

  const subInputs = new Map<string, { expr: string; description: string }>();
  const subReplacements: TextEdit[] = [];
  const parentEdits: TextEdit[] = [];
  const subOutputs = new Set<string>();
  let movedJump: { key: 'next' | 'on_success'; target: string } | undefined;
  for (const o of occurrences) {
    const within = inside(o, run);
    if (o.role === 'definition') continue;
    if (within) {
      if (o.target === 'step' && runIds.has(o.name)) continue;
      if (o.role === 'transition' && !movedJump) {
        // The last step's `next:`/`on_success:` leaves the run: the calling step takes it over.
        const last = blocks[blocks.length - 1];
        const pair = (['next', 'on_success'] as const).map((key) => ({ key, span: pairSpan(text, last.node, key) })).find(({ span }) => span && o.offset >= span.valueStart && o.endOffset <= span.valueEnd);
        if (pair?.span && pair.span.start >= last.start && text.slice(pair.span.start, pair.span.end).trimStart().startsWith(`${pair.key}:`)) {
          movedJump = { key: pair.key, target: o.name };
          subReplacements.push({ offset: pair.span.start, endOffset: pair.span.end, newText: '' });
          continue;
        }
      }
      if (o.role === 'transition') throw new AuthoringError('jumps-out', `\`${o.inStep?.id}\` goes to \`${o.name}\`, outside the steps being extracted; a sub-workflow cannot jump into its caller`);
      const span = referenceSpan(text, o);
      const expr = text.slice(span.offset, span.endOffset).replace(/\s+/g, '');
      const wanted = o.target === 'input' ? o.name : o.field && o.field !== 'output' ? `${o.name}_${o.field}` : o.name;
      const name = [...subInputs].find(([, input]) => input.expr === expr)?.[0] ?? uniqueId(wanted, new Set(subInputs.keys()));
      if (!subInputs.has(name)) subInputs.set(name, { expr, description: o.target === 'input' ? (workflow.inputs.find((i) => i.name === o.name)?.description ?? `the caller's input \`${o.name}\``) : `\`${expr}\` of the calling workflow` });
      subReplacements.push({ ...span, newText: `inputs.${name}` });
      continue;
    }
    if (o.target !== 'step' || !runIds.has(o.name)) continue;
    if (o.role === 'transition') {
      if (o.name !== options.from) throw new AuthoringError('jumps-in', `\`${o.inStep?.id ?? 'a step'}\` goes to \`${o.name}\`, in the middle of the steps being extracted; extract from \`${o.name}\` instead`);
      parentEdits.push({ offset: o.offset, endOffset: o.endOffset, newText: newId });
      continue;
    }
    parentEdits.push(rewriteOuterRead(text, o, newId, subOutputs));
  }
  if (subOutputs.size === 0) subOutputs.add(blocks[blocks.length - 1].id);
  const runOrder = [...runIds];
  const outputs = [...subOutputs].sort((a, b) => runOrder.indexOf(a) - runOrder.indexOf(b));

  const subText = subWorkflowText(text, layout.doc.contents, { file, newId, blocks, run, subInputs, subReplacements, subOutputs: outputs });
  // The run may lean on steps around it (a loop back into it): say so rather than hide it.
  const subProblems = checkWorkflow(subText, options.path).problems.filter((p) => p.severity === 'error');
  const indent = ' '.repeat(blocks[0].dashColumn);
  const keys = ' '.repeat(blocks[0].keyColumn);
  const withLines = [...subInputs].map(([name, { expr }]) => `${keys}  ${name}: ${JSON.stringify(`{{ ${expr} }}`)}`);
  // The run's last step ends the run: so does the step that calls it (in the sub-workflow, `end` ends only that).
  const lastNode = blocks[blocks.length - 1].node;
  const endsRun = lastNode.get('end') === true || lastNode.get('next') === 'end' || lastNode.get('on_success') === 'end';
  const usesStep =
    `${indent}-${' '.repeat(blocks[0].keyColumn - blocks[0].dashColumn - 1)}id: ${newId}\n` +
    `${keys}uses: ${options.path}\n` +
    (withLines.length > 0 ? `${keys}with:\n${withLines.join('\n')}\n` : `${keys}with: {}\n`) +
    (endsRun ? `${keys}end: true\n` : '') +
    (movedJump ? `${keys}${movedJump.key}: ${movedJump.target}\n` : '');
  const replaced = run.end === text.length && !text.endsWith('\n') ? usesStep.slice(0, -1) : usesStep;
  return {
    edits: [{ offset: run.start, endOffset: run.end, newText: replaced }, ...parentEdits],
    newFiles: [{ path: options.path, text: subText }],
    notes: [`steps ${blocks.map((b) => `\`${b.id}\``).join(', ')} moved to ${options.path}`, ...subProblems.map((p) => `${options.path}:${p.range.start.line}:${p.range.start.column}: ${p.code}: ${p.message}`)],
    focus: offsetAfter(parentEdits, run.start),
  };
}

/** `steps.R.output…` after the run reads the sub-workflow's output `R`; other fields read the new step's. */
function rewriteOuterRead(text: string, o: Occurrence, newId: string, subOutputs: Set<string>): TextEdit {
  const span = referenceSpan(text, o);
  if (o.field === 'output') {
    subOutputs.add(o.name);
    return { ...span, newText: `steps.${newId}.output.${o.name}` };
  }
  return { offset: o.offset, endOffset: o.endOffset, newText: newId };
}

interface SubParts {
  file: string;
  newId: string;
  blocks: { id: string; dashColumn: number }[];
  run: { start: number; end: number };
  subInputs: Map<string, { expr: string; description: string }>;
  subReplacements: TextEdit[];
  subOutputs: string[];
}

function subWorkflowText(text: string, root: unknown, parts: SubParts): string {
  let steps = '';
  let at = parts.run.start;
  for (const edit of [...parts.subReplacements].sort((a, b) => a.offset - b.offset)) {
    steps += text.slice(at, edit.offset) + edit.newText;
    at = edit.endOffset;
  }
  steps += text.slice(at, parts.run.end);
  if (!steps.endsWith('\n')) steps += '\n';
  steps = reindent(steps, 2 - parts.blocks[0].dashColumn);
  const header = `# Extracted from ${parts.file.split(/[\\/]/).pop()}: ${parts.blocks.map((b) => b.id).join(', ')}.\nname: ${parts.newId}\n`;
  const inputs = parts.subInputs.size > 0 ? stringify({ inputs: Object.fromEntries([...parts.subInputs].map(([name, { description }]) => [name, { description }])) }) : '';
  // The caller's model defaults and workers still apply to the extracted steps.
  const shared = isMap(root)
    ? ['model', 'workers']
        .map((key) => pairSpan(text, root, key))
        .filter((span) => span !== undefined)
        .map((span) => text.slice(span.start, span.end))
        .join('')
    : '';
  const outputs = stringify({ outputs: Object.fromEntries(parts.subOutputs.map((id) => [id, `{{ steps.${id}.output }}`])) });
  return `${header}${inputs}${shared}\nsteps:\n${steps}\n${outputs}`;
}
