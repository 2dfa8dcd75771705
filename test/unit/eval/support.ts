/** Shared by the eval tests: a small workflow with a route, run through the real runner on the mock. */
import { createResolver } from '../../../src/engine/providers';
import { loadWorkflow } from '../../../src/engine/load';
import { parseTests, runCase, type CaseOutcome, type TestCase, type TestSuite } from '../../../src/engine/eval';
import type { ProviderResolver, Workflow } from '../../../src/engine';

export const ROUTER = `name: Router
inputs:
  message: { default: hello }
steps:
  - id: classify
    prompt: "Classify {{ inputs.message }}"
    output:
      schema:
        type: object
        properties: { category: { type: string, enum: [billing, other] }, score: { type: integer } }
        required: [category]
    mock: { category: billing, score: 3 }
  - id: route
    switch: steps.classify.output.category
    cases: { billing: billing, other: other }
  - id: billing
    prompt: "Refund for {{ inputs.message }}"
    mock: "We will refund you within 5 days."
    end: true
  - id: other
    prompt: "Help with {{ inputs.message }}"
    mock: "Here is some help."
outputs:
  category: "{{ steps.classify.output.category }}"
  reply: "{{ steps.billing.status == 'succeeded' ? steps.billing.output : steps.other.output }}"
`;

export function suiteOf(tests: string, workflowText = ROUTER): { workflow: Workflow; suite: TestSuite; text: string } {
  const text = `${workflowText}tests:\n${tests}`;
  const { workflow, problems } = loadWorkflow(text, 'router.workflow.yaml');
  if (!workflow || problems.some((p) => p.severity === 'error')) throw new Error(`bad workflow: ${problems.map((p) => p.message).join('; ')}`);
  return { workflow, suite: parseTests(text, 'router.workflow.yaml', workflow), text };
}

export const mockProviders: ProviderResolver = createResolver({}, { forceMock: true });

/** Runs the suite's only (or named) case on the mock provider. */
export async function runOnly(tests: string, name?: string, providers: ProviderResolver = mockProviders): Promise<CaseOutcome> {
  const { workflow, suite } = suiteOf(tests);
  if (suite.problems.length > 0) throw new Error(suite.problems.map((p) => `${p.code}: ${p.message}`).join('\n'));
  const entry = suite.entries.find((e) => name === undefined || e.name === name) as TestCase;
  return runCase({ workflow, caseName: entry.name, inputs: entry.inputs, mocks: entry.mocks, expect: entry.expect }, { store: undefined, providers });
}
