/**
 * Inlining a `uses:` step: the sub-workflow's steps take its place, ids that clash
 * with the caller's renamed, its `inputs.<name>` replaced by what `with:` passes, and
 * a `set:` step keeping the old id computes the sub-workflow's `outputs:`, so every
 * `steps.<id>.output…` in the caller keeps working unchanged.
 */
import { isMap, isScalar, stringify, type YAMLMap } from 'yaml';
import { inside, loadForEdit, referenceSpan } from './references';
import { allIds, findStep, layoutOf, lineStart, pairSpan, reindent, separatorAt, uniqueId } from './step-blocks';
import { AuthoringError, offsetAfter, type EditResult, type TextEdit } from './text-edit';

/** Keys of a `uses:` step that still mean the same on the `set:` step that replaces it. */
const CARRIED = new Set(['id', 'name', 'description', 'uses', 'with', 'next', 'on_success', 'end', 'max_visits', 'cache']);

export function inlineStep(text: string, file: string, id: string, sub: { file: string; text: string }): EditResult {
  const layout = layoutOf(text);
  const { block, list, index } = findStep(layout, id);
  const usesPair = pairSpan(text, block.node, 'uses');
  if (!usesPair) throw new AuthoringError('not-a-uses-step', `\`${id}\` does not run a sub-workflow (it has no \`uses:\`)`);
  const blocking = block.node.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : '')).filter((key) => !CARRIED.has(key));
  if (blocking.length > 0) throw new AuthoringError('cannot-inline', `\`${id}\` has ${blocking.map((k) => `\`${k}:\``).join(', ')}, which would apply to each inlined step differently; remove ${blocking.length > 1 ? 'them' : 'it'} first`);

  const parent = loadForEdit(text, file);
  const subLayout = layoutOf(sub.text);
  const subLoaded = loadForEdit(sub.text, sub.file);
  const subSteps = subLayout.lists[0];
  if (!subSteps || subSteps.blocks.length === 0) throw new AuthoringError('empty-sub-workflow', `${sub.file} has no steps to inline`);

  const taken = allIds(layout);
  const renames = new Map<string, string>();
  for (const subId of allIds(subLayout)) {
    const fresh = taken.has(subId) ? uniqueId(`${id}_${subId}`, taken) : subId;
    taken.add(fresh);
    renames.set(subId, fresh);
  }
  const withNode = block.node.get('with', true);
  const passed = isMap(withNode) ? (withNode.toJSON() as Record<string, unknown>) : {};
  const inputValues = new Map<string, unknown>(subLoaded.workflow.inputs.map((input) => [input.name, Object.hasOwn(passed, input.name) ? passed[input.name] : (input.default ?? null)]));
  const simple = new Map<string, string>();
  for (const [name, value] of inputValues) {
    const match = typeof value === 'string' ? /^\s*\{\{\s*((?:steps|inputs)(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)+)\s*\}\}\s*$/.exec(value) : null;
    if (match) simple.set(name, match[1].replace(/\s+/g, ''));
  }
  // When some input is not a plain reference, one `set:` step computes them all first.
  const withId = simple.size === inputValues.size ? undefined : uniqueId(`${id}_with`, taken);
  if (withId) taken.add(withId);

  const replacements: TextEdit[] = [];
  for (const o of subLoaded.occurrences) {
    if (o.target === 'step' && renames.has(o.name) && renames.get(o.name) !== o.name) replacements.push({ offset: o.offset, endOffset: o.endOffset, newText: renames.get(o.name)! });
    if (o.target === 'input' && o.role === 'expression') {
      replacements.push({ ...referenceSpan(sub.text, o), newText: withId ? `steps.${withId}.output.${o.name}` : (simple.get(o.name) ?? 'null') });
    }
  }
  // `end` in a sub-workflow ends only it: inlined, such a step goes on to the step that keeps the old id.
  let endsInBranches = 0;
  for (const list of subLayout.lists) {
    for (const subBlock of list.blocks) {
      for (const pair of subBlock.node.items) {
        const key = isScalar(pair.key) ? pair.key.value : undefined;
        const value = isScalar(pair.value) ? pair.value : undefined;
        const ends = (key === 'end' && value?.value === true) || ((key === 'next' || key === 'on_success') && value?.value === 'end');
        if (!ends || !isScalar(pair.key) || !pair.key.range || !value?.range) continue;
        if (list.parentId) endsInBranches++;
        else if (key === 'end') replacements.push({ offset: pair.key.range[0], endOffset: value.range[1], newText: `next: ${id}` });
        else replacements.push({ offset: value.range[0], endOffset: value.range[1], newText: id });
      }
    }
  }
  const stepsRegion = { start: subSteps.blocks[0].start, end: subSteps.blocks[subSteps.blocks.length - 1].end };
  let steps = rewrite(sub.text, stepsRegion, replacements);
  if (!steps.endsWith('\n')) steps += '\n';
  steps = reindent(steps, block.dashColumn - subSteps.blocks[0].dashColumn);

  const keyIndent = block.keyColumn;
  const setLead = `${' '.repeat(block.dashColumn)}-${' '.repeat(keyIndent - block.dashColumn - 1)}`;
  const withStep = withId ? `${setLead}id: ${withId}\n${setValue(Object.fromEntries(inputValues), keyIndent)}` : '';
  const outputsRoot = subLayout.doc.contents;
  const outputsSpan = isMap(outputsRoot) ? pairSpan(sub.text, outputsRoot as YAMLMap, 'outputs') : undefined;
  const outputs = outputsSpan ? (subLayout.doc.toJS() as { outputs?: unknown }).outputs : {};
  const outputsText = outputsSpan ? renameInValue(sub.text, outputsSpan, subLoaded.occurrences.filter((o) => o.target === 'step'), renames, keyIndent) : undefined;

  // The `uses:` step becomes the `set:` step: its id, name, transitions and comments stay.
  const usesLines = [usesPair, pairSpan(text, block.node, 'with')].filter((span) => span !== undefined).sort((a, b) => a.start - b.start);
  // Comment lines above the `uses:` step now introduce the inlined steps.
  const dashLine = lineStart(text, block.node.range![0]);
  const leading = text.slice(block.start, dashLine);
  let setStep = '';
  let at = dashLine;
  for (const [i, span] of usesLines.entries()) {
    setStep += text.slice(at, span.start) + (i === 0 ? (outputsText ?? setValue(outputs ?? {}, keyIndent)) : '');
    at = span.end;
  }
  setStep += text.slice(at, block.end);
  if (!setStep.endsWith('\n')) setStep += '\n';
  const separator = separatorAt(text, list, index);
  let newText = leading + withStep + steps + separator + setStep;
  if (block.end === text.length && !text.endsWith('\n')) newText = newText.slice(0, -1);

  // Whatever jumped to the `uses:` step now jumps to the first inlined step.
  const firstId = withId ?? renames.get(subSteps.blocks[0].id)!;
  const edits: TextEdit[] = [{ offset: block.start, endOffset: block.end, newText }];
  for (const o of parent.occurrences) {
    if (o.target === 'step' && o.name === id && o.role === 'transition' && !inside(o, block)) edits.push({ offset: o.offset, endOffset: o.endOffset, newText: firstId });
  }
  const notes = [...renames].filter(([from, to]) => from !== to).map(([from, to]) => `\`${from}\` from ${sub.file} is \`${to}\` here`);
  // The sub-workflow's own defaults do not come along: say which ones the inlined steps relied on.
  const subWorkers = Object.keys(subLoaded.workflow.workers).filter((name) => !Object.hasOwn(parent.workflow.workers, name));
  const usedWorkers = subWorkers.filter((name) => new RegExp(`\\bworker:\\s*['"]?${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).test(steps));
  if (usedWorkers.length > 0) notes.push(`copy worker${usedWorkers.length > 1 ? 's' : ''} ${usedWorkers.map((w) => `\`${w}\``).join(', ')} from ${sub.file} into this file's \`workers:\``);
  if (Object.keys(subLoaded.workflow.model).length > 0 && JSON.stringify(subLoaded.workflow.model) !== JSON.stringify(parent.workflow.model)) notes.push(`${sub.file} sets \`model:\` defaults; the inlined steps now use this file's`);
  if (endsInBranches > 0 || /:\s*end\b/.test(steps)) notes.push(`a step from ${sub.file} still goes to \`end\`; inlined, that ends the whole workflow, not just the sub-workflow`);
  return { edits, newFiles: [], notes, focus: offsetAfter(edits.slice(1), edits[0].offset) };
}

function rewrite(text: string, region: { start: number; end: number }, replacements: TextEdit[]): string {
  let out = '';
  let at = region.start;
  for (const edit of [...replacements].sort((a, b) => a.offset - b.offset)) {
    if (edit.offset < region.start || edit.endOffset > region.end) continue;
    out += text.slice(at, edit.offset) + edit.newText;
    at = edit.endOffset;
  }
  return out + text.slice(at, region.end);
}

/** `set:` with the sub-workflow's `outputs:` as written (comments kept), step ids renamed. */
function renameInValue(text: string, span: { start: number; end: number }, occurrences: { offset: number; endOffset: number; name: string }[], renames: Map<string, string>, indent: number): string {
  const edits = occurrences.filter((o) => renames.get(o.name) !== o.name).map((o) => ({ offset: o.offset, endOffset: o.endOffset, newText: renames.get(o.name) ?? o.name }));
  return reindent(rewrite(text, span, edits).replace(/^outputs:/, 'set:'), indent);
}

function setValue(value: unknown, indent: number): string {
  const body = stringify({ set: value }).trimEnd();
  return `${reindent(body, indent)}\n`;
}
