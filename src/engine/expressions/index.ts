/**
 * CEL expressions and `{{ }}` templates. CEL is side-effect free and always
 * terminates, blocks prototype access, and gives type errors before a run; the
 * engine never uses `eval` or `new Function`. How numbers behave is written in
 * docs/language.md, "Numbers".
 */
export { SCOPE_VARIABLES, MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_NODES, type ScopeVariable } from './environment';
export { ExpressionError } from './errors';
export { compile, typeCheck, expressionProblems, cachedExpressionCount, MAX_CACHED_EXPRESSIONS, type ExpressionProblem } from './compile';
export { evaluate, evaluateCondition, render, renderText, renderValue, type Scope } from './evaluate';
export { splitTemplate, type RawTemplatePart } from './templates';
export { references, type Reference } from './references';
export { toCel, fromCel, setEntry, dataRecord, celMap, stringify, describe } from './values';
