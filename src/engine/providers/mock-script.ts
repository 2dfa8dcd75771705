/**
 * A run's `mock:` replies, handed to the mock provider. A step's `mock:` gives the
 * mock provider's reply; a list gives one reply per call (each attempt and each loop
 * visit), the last repeating; strings in it are templates; `{ $error: "…" }` makes that
 * call fail. Entries are counted per step and `for_each` item, so items of a map each
 * start at the first entry, and an execution restored from an earlier run still uses
 * up its entries ({@link MockScript.consumed}).
 *
 * The runner supplies the steps' `mock:` values and the rendering (templates read the
 * run's scope, which only the runner has); rotation lives here, beside the provider
 * that answers with it.
 */
import type { ModelRequest, Provider, ProviderResolver, TemplateValue } from '../types';

/** Which call an entry is for: the step, the `for_each` item, and the visit and attempt. */
export type MockCall = Pick<ModelRequest, 'stepId' | 'visit' | 'index' | 'attempt'>;

/** What the runner supplies for one run. */
export interface MockScriptSource {
  /** The step's `mock:`, when it has one. */
  mockOf(stepId: string): TemplateValue | undefined;
  /** Renders an entry in the scope of the call it answers. */
  render(entry: TemplateValue, call: MockCall): unknown;
}

export class MockScript {
  /** Entries used so far, per step and then per item (`-1` for a step that is not a map). */
  readonly #used = new Map<string, Map<number, number>>();

  constructor(private readonly source: MockScriptSource) {}

  /** The reply for this call, using up one entry; `undefined` when the step has no `mock:`. */
  take(call: MockCall): { reply: unknown } | undefined {
    const mock = this.source.mockOf(call.stepId);
    if (!mock) return undefined;
    const used = this.#count(call.stepId, call.index);
    this.#add(call.stepId, call.index, 1);
    const entry = mock.kind === 'list' ? mock.items[Math.min(used, mock.items.length - 1)] : mock;
    return entry === undefined ? undefined : { reply: this.source.render(entry, call) };
  }

  /** An execution restored from an earlier run made `calls` calls then: the next call gets the entry after them. */
  consumed(stepId: string, index: number | undefined, calls: number): void {
    if (calls > 0 && this.source.mockOf(stepId)) this.#add(stepId, index, calls);
  }

  #count(stepId: string, index: number | undefined): number {
    return this.#used.get(stepId)?.get(index ?? -1) ?? 0;
  }

  #add(stepId: string, index: number | undefined, calls: number): void {
    let perItem = this.#used.get(stepId);
    if (!perItem) this.#used.set(stepId, (perItem = new Map()));
    perItem.set(index ?? -1, (perItem.get(index ?? -1) ?? 0) + calls);
  }
}

/** A provider that can answer with a run's `mock:` replies: the mock provider, and wrappers around it. */
export interface ScriptableProvider extends Provider {
  withScript(script: MockScript): Provider;
}

export function isScriptable(provider: Provider): provider is ScriptableProvider {
  return typeof (provider as Partial<ScriptableProvider>).withScript === 'function';
}

/**
 * The run's providers, with `script` bound to every provider that can use it (the
 * mock provider, however wrapped); real providers come back unchanged and never see
 * a `mock:`. The runner calls this once per run, and sub-workflows get their own.
 */
export function withMockScript(resolver: ProviderResolver, script: MockScript): ProviderResolver {
  const bound = new Map<Provider, Provider>();
  return {
    resolve(name: string): Provider {
      const provider = resolver.resolve(name);
      if (!isScriptable(provider)) return provider;
      let scripted = bound.get(provider);
      if (!scripted) bound.set(provider, (scripted = provider.withScript(script)));
      return scripted;
    },
  };
}
