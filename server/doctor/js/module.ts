/**
 * What one JavaScript/TypeScript module says about itself, read from its syntax tree: what it
 * loads (require, import, import(), export … from), the names it imports and from where, the
 * functions it defines and what it exports. Pure: text in, facts out.
 */
import { asCall, isFunction, memberPath, parseJs, propertyName, stringValue, unwrap, walk, type t } from './ast';

export interface Imported {
  /** The specifier as written ('./lifecycle', 'node:http'). */
  source: string;
  /** 'default', '*' (the whole module) or the exported name. */
  name: string;
}

export interface ModuleInfo {
  file: string;
  text: string;
  ast: t.File;
  /** Specifiers of everything the module loads, in source order. */
  specifiers: { source: string; node: t.Node }[];
  /** Local name → what it was imported as. */
  imports: Map<string, Imported>;
  /** Functions by the name they can be called by in this module (declarations, `const f = () => …`, methods of `const o = {…}` as 'o.m'). */
  functions: Map<string, t.Function>;
  /**
   * Names declared with a value of their own (`const db = new Pool()`, a class): what such a name
   * holds is known to be what it was made from. Names with no initializer or an alias
   * (`let s;`, `const s = server`) are not in it: they may hold anything.
   */
  variables: Set<string>;
  /** Exported name ('default' for module.exports = fn / export default) → a local name or a function. */
  exports: Map<string, string | t.Function>;
}

export function moduleInfo(file: string, text: string): ModuleInfo | undefined {
  const ast = parseJs(file, text);
  if (!ast) return undefined;
  const info: ModuleInfo = { file, text, ast, specifiers: [], imports: new Map(), functions: new Map(), variables: new Set(), exports: new Map() };
  const define = (name: string, fn: t.Function) => {
    if (!info.functions.has(name)) info.functions.set(name, fn);
  };
  walk(ast, (node, ancestors) => {
    const parent = ancestors[ancestors.length - 1];
    switch (node.type) {
      case 'ImportDeclaration': {
        if (node.importKind === 'type') break;
        info.specifiers.push({ source: node.source.value, node });
        for (const s of node.specifiers) {
          const name = s.type === 'ImportDefaultSpecifier' ? 'default' : s.type === 'ImportNamespaceSpecifier' ? '*' : s.imported.type === 'Identifier' ? s.imported.name : s.imported.value;
          info.imports.set(s.local.name, { source: node.source.value, name });
        }
        break;
      }
      case 'ExportNamedDeclaration':
      case 'ExportAllDeclaration': {
        if (node.source) info.specifiers.push({ source: node.source.value, node });
        if (node.type === 'ExportNamedDeclaration') {
          const d = node.declaration;
          if (d?.type === 'FunctionDeclaration' && d.id) info.exports.set(d.id.name, d);
          if (d?.type === 'VariableDeclaration') for (const v of d.declarations) if (v.id.type === 'Identifier') info.exports.set(v.id.name, v.id.name);
          for (const s of node.specifiers) {
            if (s.type !== 'ExportSpecifier') continue;
            const exported = s.exported.type === 'Identifier' ? s.exported.name : s.exported.value;
            if (node.source) info.imports.set(`\0${exported}`, { source: node.source.value, name: s.local.name });
            info.exports.set(exported, node.source ? `\0${exported}` : s.local.name);
          }
        }
        break;
      }
      case 'ExportDefaultDeclaration': {
        const d = unwrap(node.declaration);
        if (isFunction(d)) info.exports.set('default', d);
        else if (d?.type === 'Identifier') info.exports.set('default', d.name);
        break;
      }
      case 'ImportExpression': {
        const source = stringValue(node.source);
        if (source !== undefined) info.specifiers.push({ source, node });
        break;
      }
      case 'TSImportEqualsDeclaration': {
        const ref = node.moduleReference;
        if (ref.type === 'TSExternalModuleReference') {
          info.specifiers.push({ source: ref.expression.value, node });
          info.imports.set(node.id.name, { source: ref.expression.value, name: '*' });
        }
        break;
      }
      case 'FunctionDeclaration':
        if (node.id) define(node.id.name, node);
        break;
      case 'ClassDeclaration':
        if (node.id) info.variables.add(node.id.name);
        break;
      case 'VariableDeclarator': {
        const init = unwrap(node.init);
        if (node.id.type === 'Identifier' && init && !['Identifier', 'MemberExpression', 'OptionalMemberExpression'].includes(init.type)) info.variables.add(node.id.name);
        if (node.id.type === 'Identifier' && isFunction(init)) define(node.id.name, init);
        if (node.id.type === 'Identifier' && init?.type === 'ObjectExpression') objectMethods(node.id.name, init, define);
        const source = requireSource(init) ?? requireSource(init?.type === 'AwaitExpression' ? unwrap(init.argument) : undefined);
        if (source !== undefined) {
          if (node.id.type === 'Identifier') info.imports.set(node.id.name, { source, name: '*' });
          if (node.id.type === 'ObjectPattern') {
            for (const p of node.id.properties) {
              if (p.type !== 'ObjectProperty') continue;
              const key = p.key.type === 'Identifier' ? p.key.name : stringValue(p.key);
              const value = p.value.type === 'AssignmentPattern' ? p.value.left : p.value;
              if (key !== undefined && value.type === 'Identifier') info.imports.set(value.name, { source, name: key });
            }
          }
        }
        break;
      }
      case 'CallExpression': {
        // require('x'), and import('x') (a call on `Import` in this parser's tree).
        const source = requireSource(node) ?? (node.callee.type === 'Import' ? stringValue(node.arguments[0] as t.Node) : undefined);
        if (source !== undefined) info.specifiers.push({ source, node });
        break;
      }
      case 'AssignmentExpression': {
        const target = memberPath(node.left);
        const value = unwrap(node.right);
        if (!target) break;
        // module.exports = fn | { a, b: fn } ; exports.a = fn ; module.exports.a = fn
        const isModuleExports = target.length === 2 && target[0] === 'module' && target[1] === 'exports';
        const exportedName = target[0] === 'exports' && target.length === 2 ? target[1] : target[0] === 'module' && target[1] === 'exports' && target.length === 3 ? target[2] : undefined;
        if (isModuleExports && value) {
          if (isFunction(value)) info.exports.set('default', value);
          else if (value.type === 'Identifier') info.exports.set('default', value.name);
          else if (value.type === 'ObjectExpression') {
            for (const p of value.properties) {
              if (p.type === 'ObjectMethod' && p.key.type === 'Identifier') info.exports.set(p.key.name, p);
              if (p.type !== 'ObjectProperty') continue;
              const key = p.key.type === 'Identifier' ? p.key.name : stringValue(p.key);
              const v = unwrap(p.value as t.Node);
              if (key === undefined || !v) continue;
              if (isFunction(v)) info.exports.set(key, v);
              else if (v.type === 'Identifier') info.exports.set(key, v.name);
            }
          }
        } else if (exportedName && value) {
          if (isFunction(value)) info.exports.set(exportedName, value);
          else if (value.type === 'Identifier') info.exports.set(exportedName, value.name);
        }
        if (target.length === 1 && isFunction(value)) define(target[0], value);
        break;
      }
      default:
        break;
    }
    void parent;
  });
  return info;
}

function objectMethods(name: string, obj: t.ObjectExpression, define: (name: string, fn: t.Function) => void): void {
  for (const p of obj.properties) {
    const key = p.type === 'ObjectMethod' || p.type === 'ObjectProperty' ? (p.key.type === 'Identifier' ? p.key.name : stringValue(p.key)) : undefined;
    if (key === undefined) continue;
    if (p.type === 'ObjectMethod') define(`${name}.${key}`, p);
    else if (p.type === 'ObjectProperty' && isFunction(unwrap(p.value as t.Node))) define(`${name}.${key}`, unwrap(p.value as t.Node) as t.Function);
  }
}

/** The literal specifier of `require('x')` (also `module.require`), else undefined. */
export function requireSource(node: t.Node | undefined): string | undefined {
  if (!node) return undefined;
  const call = asCall(node);
  if (!call || call.args.length < 1) return undefined;
  const callee = call.callee;
  const isRequire = (callee.type === 'Identifier' && callee.name === 'require') || (callee.type === 'MemberExpression' && propertyName(callee) === 'require' && memberPath(callee.object)?.[0] === 'module');
  return isRequire ? stringValue(call.args[0]) : undefined;
}
