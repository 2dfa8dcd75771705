/** Short names of expectations and what they look at, for tables, reports and messages. */
import type { ExpectationSpec, Subject } from './types';

/** `equals output category`, `path classify → route`, `cel outputs.x > 1`. */
export function labelOf(spec: ExpectationSpec): string {
  const subject = 'subject' in spec ? subjectLabel(spec.subject) : '';
  switch (spec.kind) {
    case 'equals':
    case 'contains':
    case 'matches':
    case 'schema':
    case 'judge':
      return `${spec.kind} ${subject}`;
    case 'cel':
      return `cel ${spec.expr.source.length > 40 ? `${spec.expr.source.slice(0, 39)}…` : spec.expr.source}`;
    case 'status':
      return `status ${spec.status}`;
    case 'path':
      return spec.exact ? `path ${spec.exact.join(' → ')}` : 'path';
    case 'tools':
      return spec.order === 'exact' && spec.calls ? `tools ${spec.calls.map((call) => call.name).join(' → ') || '(none)'}` : 'tools';
    case 'budget':
      return 'budget';
  }
}

/** `outputs`, `output reply`, `step classify.category`: what an expectation looks at, in a table cell. */
export function subjectLabel(subject: Subject): string {
  const field = subject.field ? `.${subject.field.join('.')}` : '';
  if (subject.kind === 'outputs') return `outputs${field}`;
  return `${subject.kind} ${subject.name}${field}`;
}
