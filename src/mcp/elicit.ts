/**
 * `input:` steps over MCP: when the client supports elicitation, the question goes to
 * the person through the agent (`elicitation/create`, sent as part of the tool call so
 * it travels on the call's own stream); when it does not, the run has nobody to ask and
 * the step says to pass the answer as an argument.
 */
import type { ElicitRequestFormParams, PrimitiveSchemaDefinition } from '@modelcontextprotocol/sdk/types.js';
import type { Asker, InputQuestion } from '../engine';

export type SendElicitation = (params: ElicitRequestFormParams, signal: AbortSignal) => Promise<{ action: string; content?: Record<string, unknown> }>;

export function elicitingAsker(send: SendElicitation): Asker {
  return async (question, signal) => {
    const result = await send(
      {
        message: question.stepId ? question.question : `The workflow needs \`${question.name}\`: ${question.question}`,
        requestedSchema: { type: 'object', properties: { answer: answerSchema(question) }, required: ['answer'] },
      },
      signal,
    );
    if (result.action !== 'accept') return undefined;
    return result.content?.answer;
  };
}

/** Elicitation takes flat primitives only; lists and objects are asked for as JSON text. */
function answerSchema(question: InputQuestion): PrimitiveSchemaDefinition {
  const title = question.stepId ?? question.name;
  const choices = question.choices?.filter((c): c is string => typeof c === 'string');
  if (choices && choices.length > 0 && choices.length === question.choices!.length) {
    return { type: 'string', title, enum: choices, ...(typeof question.default === 'string' ? { default: question.default } : {}) };
  }
  switch (question.type) {
    case 'number':
      return { type: 'number', title, ...(typeof question.default === 'number' ? { default: question.default } : {}) };
    case 'boolean':
      return { type: 'boolean', title, ...(typeof question.default === 'boolean' ? { default: question.default } : {}) };
    case 'object':
    case 'array':
      return { type: 'string', title, description: `JSON (${question.type === 'array' ? 'a list' : 'an object'})` };
    default:
      return { type: 'string', title, ...(typeof question.default === 'string' ? { default: question.default } : {}) };
  }
}
