/**
 * Asking the person running a workflow: its inputs before the run, and the questions
 * of `input:` steps during it (the engine's `ask` port). A quick pick when there are
 * `choices`, an input box otherwise; answers are remembered per workflow in the
 * workspace state and offered first next time.
 */
import * as vscode from 'vscode';
import { coerce, resolveInputs, type Asker, type InputDef, type InputQuestion, type Workflow } from '../../engine';
import type { AskForInputs } from '../settings';

const INPUTS_KEY = 'orchestrate.inputs';
const ANSWERS_KEY = 'orchestrate.answers';

type Remembered = Record<string, Record<string, unknown>>;

export class Answers {
  constructor(private readonly state: vscode.Memento) {}

  inputs(file: string): Record<string, unknown> {
    return this.state.get<Remembered>(INPUTS_KEY, {})[file] ?? {};
  }

  answers(file: string): Record<string, unknown> {
    return this.state.get<Remembered>(ANSWERS_KEY, {})[file] ?? {};
  }

  async rememberInputs(file: string, values: Record<string, unknown>): Promise<void> {
    await this.remember(INPUTS_KEY, file, values);
  }

  async rememberAnswer(file: string, stepId: string, value: unknown): Promise<void> {
    await this.remember(ANSWERS_KEY, file, { ...this.answers(file), [stepId]: value });
  }

  private async remember(key: string, file: string, values: Record<string, unknown>): Promise<void> {
    const all = this.state.get<Remembered>(key, {});
    await this.state.update(key, { ...all, [file]: values });
  }
}

/**
 * The inputs for a run: given ones, then remembered ones, then defaults; asks for the
 * required ones still missing (or, with `askForInputs: always`, for every input,
 * prefilled). Undefined when the person dismissed a question: no run.
 */
export async function collectInputs(workflow: Workflow, given: Record<string, unknown>, answers: Answers, mode: AskForInputs): Promise<Record<string, unknown> | undefined> {
  const declared = new Set(workflow.inputs.map((i) => i.name));
  const remembered = Object.fromEntries(Object.entries(answers.inputs(workflow.file)).filter(([name]) => declared.has(name)));
  const values: Record<string, unknown> = { ...remembered, ...given };
  const toAsk = mode === 'always' ? workflow.inputs.filter((input) => !(input.name in given)) : resolveInputs(workflow, values).missing;
  for (const input of toAsk) {
    const answer = await askInput(workflow, input, values[input.name] ?? input.default);
    if (answer === undefined) return undefined;
    values[input.name] = answer;
  }
  const { errors } = resolveInputs(workflow, values);
  if (errors.length > 0) {
    void vscode.window.showErrorMessage(`Cannot run ${workflow.name}: ${errors.map((e) => e.message).join('; ')}`);
    return undefined;
  }
  await answers.rememberInputs(workflow.file, Object.fromEntries(Object.entries(values).filter(([name]) => declared.has(name))));
  return values;
}

function askInput(workflow: Workflow, input: InputDef, current: unknown): Thenable<unknown> {
  return ask({
    title: `${workflow.name}: input \`${input.name}\``,
    question: input.description ?? `Value of ${input.name}`,
    current,
    choices: input.choices,
    validate: (value) => {
      const checked = coerce(input, value);
      return 'error' in checked ? checked.error : undefined;
    },
  });
}

/** The engine's `ask` port for `input:` steps (and inputs the run still lacks). */
export function stepAsker(workflow: Workflow, answers: Answers): Asker {
  return async (question: InputQuestion, signal: AbortSignal) => {
    const cancel = new vscode.CancellationTokenSource();
    const onAbort = () => cancel.cancel();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const previous = question.stepId ? answers.answers(workflow.file)[question.stepId] : undefined;
      const answer = await ask(
        {
          title: question.stepId ? `${workflow.name}: step \`${question.stepId}\` asks` : `${workflow.name}: input \`${question.name}\``,
          question: question.question,
          current: previous ?? question.default,
          choices: question.choices,
          validate: (value) => {
            const checked = coerce({ name: question.name, type: question.type, choices: question.choices }, value);
            return 'error' in checked ? checked.error : undefined;
          },
        },
        cancel.token,
      );
      if (answer !== undefined && question.stepId) await answers.rememberAnswer(workflow.file, question.stepId, answer);
      return answer;
    } finally {
      signal.removeEventListener('abort', onAbort);
      cancel.dispose();
    }
  };
}

interface Question {
  title: string;
  question: string;
  current: unknown;
  choices?: unknown[];
  validate: (value: string) => string | undefined;
}

async function ask(question: Question, token?: vscode.CancellationToken): Promise<unknown> {
  if (question.choices && question.choices.length > 0) {
    const items = question.choices.map((choice) => ({
      label: String(choice),
      description: String(choice) === String(question.current) ? '(last answer)' : undefined,
      value: choice,
    }));
    // The last answer first, so Enter repeats it.
    items.sort((a, b) => Number(Boolean(b.description)) - Number(Boolean(a.description)));
    const picked = await vscode.window.showQuickPick(items, { title: question.title, placeHolder: firstLines(question.question), ignoreFocusOut: true }, token);
    return picked?.value;
  }
  return vscode.window.showInputBox(
    {
      title: question.title,
      prompt: firstLines(question.question),
      value: question.current === undefined || question.current === null ? '' : typeof question.current === 'string' ? question.current : JSON.stringify(question.current),
      ignoreFocusOut: true,
      validateInput: question.validate,
    },
    token,
  );
}

/** An input box shows one paragraph; a question built from a long model output is cut to its end. */
function firstLines(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 500 ? `…${trimmed.slice(-500)}` : trimmed;
}
