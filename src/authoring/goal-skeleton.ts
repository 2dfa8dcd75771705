/**
 * A workflow skeleton from a goal's words, with no model: one step per part of the
 * goal ("research X, write Y, then review it"), each working from the step before; a
 * part that reviews or checks sends the work back until it says APPROVED. It is the
 * generator's reply on the mock provider, so `orchestrate new --mock` is useful
 * offline and deterministic.
 */
import { stringify } from 'yaml';

const STOP_WORDS = new Set('a an the to of for it its them and or with into on in my our your their this that these those about from then some each all be is are as by at up out so any every one two three me us we i you'.split(' '));
const REVIEW_VERBS = /^(review|check|critique|verify|proofread|evaluate|assess|approve|validate|grade|audit)\b/i;
const MAX_STEPS = 6;

export interface Skeleton {
  explanation: string;
  workflow: string;
}

export function skeletonFromGoal(rawGoal: string): Skeleton {
  const goal = rawGoal.replace(/\s+/g, ' ').trim().slice(0, 600) || 'Do the task';
  let parts = goal
    .split(/[;,.!?]|\b(?:and then|then|after that|afterwards|finally|next)\b/i)
    .flatMap((part) => part.split(/\band\b/i).filter((piece) => piece.trim().split(' ').length >= 2).length > 1 ? part.split(/\band\b/i) : [part])
    .map((part) => part.trim())
    .filter((part) => /[A-Za-z0-9]/.test(part));
  if (parts.length === 0) parts = [goal];
  if (parts.length > MAX_STEPS) parts = [...parts.slice(0, MAX_STEPS - 1), parts.slice(MAX_STEPS - 1).join(', ')];

  const taken = new Set<string>(['end', 'fail']);
  const steps: Record<string, unknown>[] = [];
  const order: string[] = [];
  let previous: string | undefined;
  parts.forEach((part, index) => {
    const id = idFrom(part, index, taken);
    // The goal is text, never a template: braces in it stay braces.
    const sentence = (part[0].toUpperCase() + part.slice(1)).replace(/\{\{/g, "{{ '{{' }}");
    const isReview = REVIEW_VERBS.test(part) && previous !== undefined;
    if (isReview) {
      const producer = previous!;
      steps.push({
        id,
        prompt: `${sentence}.\n\nStart your reply with APPROVED if it is good; otherwise list the changes it needs.\n\n{{ steps.${producer}.output }}`,
        mock: ['CHANGES: make it more concrete.', 'APPROVED'],
      });
      const producerStep = steps.find((s) => s.id === producer)!;
      producerStep.prompt = `${String(producerStep.prompt)}\n\nFeedback on the last version, if any: {{ steps.${id}.status == 'succeeded' ? steps.${id}.output : 'none yet' }}`;
      producerStep.max_visits = 3;
      const gate = `${id}_gate`.slice(0, 60);
      taken.add(gate);
      const nextTarget = parts[index + 1] !== undefined ? '__NEXT__' : 'end';
      steps.push({ id: gate, switch: `steps.${id}.output.startsWith("APPROVED") ? "approved" : "revise"`, cases: { approved: nextTarget, revise: producer } });
      order.push(id);
      previous = producer;
      return;
    }
    const source = previous === undefined ? 'Request: {{ inputs.request }}' : `Work from this:\n{{ steps.${previous}.output }}`;
    steps.push({ id, prompt: `${sentence}.\n\n${source}` });
    order.push(id);
    previous = id;
  });
  // A gate that approves goes on to the step after it.
  steps.forEach((step, i) => {
    const cases = step.cases as Record<string, string> | undefined;
    if (cases?.approved === '__NEXT__') cases.approved = String(steps[i + 1]?.id ?? 'end');
  });
  const workflow = stringify(
    {
      name: title(goal),
      description: goal,
      inputs: { request: { description: 'What this workflow works on.', default: goal } },
      steps,
      // The result is the last piece of work (a review's verdict is not the product).
      outputs: { result: `{{ steps.${previous!}.output }}` },
    },
    { lineWidth: 0 },
  );
  const reviews = steps.filter((step) => step.switch !== undefined).length;
  const explanation =
    (order.length === 1 ? `A first draft made from the goal's words, without a model: one step (${order[0]})` : `A first draft made from the goal's words, without a model: ${order.length} steps (${order.join(' → ')}), each working from the one before`) +
    (reviews > 0 ? `; a review sends the work back until it starts with APPROVED (at most 3 rounds)` : '') +
    '. Replace each prompt with real instructions, then run it with a model.';
  return { explanation, workflow };
}

function idFrom(part: string, index: number, taken: Set<string>): string {
  const words = part
    .toLowerCase()
    .replace(/[^a-z0-9 ]/g, ' ')
    .split(' ')
    .filter((word) => word && !STOP_WORDS.has(word));
  let id = words.slice(0, 2).join('_') || `step_${index + 1}`;
  if (!/^[a-z_]/.test(id)) id = `step_${id}`;
  let unique = id;
  for (let n = 2; taken.has(unique); n++) unique = `${id}_${n}`;
  taken.add(unique);
  return unique;
}

function title(goal: string): string {
  const words = goal.split(' ').slice(0, 8).join(' ');
  return words[0].toUpperCase() + words.slice(1) + (goal.split(' ').length > 8 ? '…' : '');
}
