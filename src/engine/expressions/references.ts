/** Which variables, steps and inputs an expression reads, found on its syntax tree. */
import type { ASTNode } from '@marcbachmann/cel-js';
import type { Expr } from '../types';
import { compile } from './compile';

/** A `steps.<id>[.<field>]`, `inputs.<name>` or bare variable use inside an expression. */
export interface Reference {
  variable: string;
  /** `steps.<member>` / `inputs.<member>` */
  member?: string;
  /** `steps.<id>.<field>` */
  field?: string;
  /** Offsets into the expression source. */
  start: number;
  end: number;
  memberStart?: number;
  memberEnd?: number;
  fieldStart?: number;
  fieldEnd?: number;
}

/** Lists the variables an expression reads, with the members it selects. */
export function references(expr: Expr): Reference[] {
  const found: Reference[] = [];
  const bound = new Set<string>();
  visit(compile(expr).ast, bound, found, expr.source);
  return found;
}

function visit(node: ASTNode, bound: Set<string>, found: Reference[], source: string): void {
  switch (node.op) {
    case 'id':
      if (!bound.has(node.args)) found.push({ variable: node.args, start: node.range.start, end: node.range.end });
      return;
    case '.':
    case '.?': {
      const [target, member] = node.args;
      const chain = selectChain(node);
      if (chain && !bound.has(chain.root.args)) {
        const ref: Reference = { variable: chain.root.args, start: node.range.start, end: node.range.end };
        const [first, second] = chain.members;
        if (first !== undefined) {
          ref.member = first;
          const at = memberOffset(source, chain.root.range.end, first);
          ref.memberStart = at;
          ref.memberEnd = at + first.length;
        }
        if (second !== undefined && ref.memberEnd !== undefined) {
          ref.field = second;
          const at = memberOffset(source, ref.memberEnd, second);
          ref.fieldStart = at;
          ref.fieldEnd = at + second.length;
        }
        found.push(ref);
        return;
      }
      void member;
      visit(target, bound, found, source);
      return;
    }
    case 'rcall': {
      const [name, target, args] = node.args;
      // Comprehension macros (`list.map(x, x * 2)`) bind their first argument.
      if (MACROS.has(name) && args.length >= 2 && args[0].op === 'id') {
        visit(target, bound, found, source);
        const inner = new Set(bound).add(args[0].args);
        for (const arg of args.slice(1)) visit(arg, inner, found, source);
        return;
      }
      visit(target, bound, found, source);
      for (const arg of args) visit(arg, bound, found, source);
      return;
    }
    case 'call':
      for (const arg of node.args[1]) visit(arg, bound, found, source);
      return;
    case 'value':
      return;
    case 'list':
      for (const item of node.args) visit(item, bound, found, source);
      return;
    case 'map':
      for (const [key, value] of node.args) {
        visit(key, bound, found, source);
        visit(value, bound, found, source);
      }
      return;
    case '?:':
      for (const arg of node.args) visit(arg, bound, found, source);
      return;
    case '!_':
    case '-_':
      visit(node.args, bound, found, source);
      return;
    default:
      for (const arg of node.args as ASTNode[]) visit(arg, bound, found, source);
  }
}

const MACROS = new Set(['map', 'filter', 'all', 'exists', 'exists_one', 'existsOne', 'sortBy', 'transformList', 'transformMap']);

/** For `a.b.c`, the root identifier `a` and the member names `[b, c]`; undefined when the root is not an identifier. */
function selectChain(node: ASTNode): { root: Extract<ASTNode, { op: 'id' }>; members: string[] } | undefined {
  const members: string[] = [];
  let current: ASTNode = node;
  while (current.op === '.' || current.op === '.?') {
    members.unshift(current.args[1]);
    current = current.args[0];
  }
  return current.op === 'id' ? { root: current, members } : undefined;
}

function memberOffset(source: string, from: number, member: string): number {
  const at = source.indexOf(member, from);
  return at === -1 ? from : at;
}
