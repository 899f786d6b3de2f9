// Holds an answer up against the OpenAPI document: the status must be documented for that
// path and method, the Content-Type one of the documented media types, the body valid against
// the documented schema (Ajv, JSON Schema 2020-12, the dialect of OpenAPI 3.1), and every
// required header present and valid. Records which (path, method, status) were exercised.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const DOC_ID = 'https://sluice.invalid/openapi.json';

// The value at a local reference ("#/components/...") of the document.
function pointer(doc, ref) {
  if (!ref.startsWith('#/')) throw new Error(`only local references are used: ${ref}`);
  return ref.slice(2).split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((node, part) => {
      if (node == null || !(part in node)) throw new Error(`dangling reference ${ref}`);
      return node[part];
    }, doc);
}

export class DocChecker {
  constructor(doc) {
    this.doc = doc;
    // The components' schemas become one schema's $defs; the document's references to them
    // are rewritten to point there, so Ajv resolves them without reading the whole document
    // as a schema.
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.#rewrite({ $id: DOC_ID, $defs: doc.components.schemas }));
    this.compiled = new Map();
    this.exercised = new Set();
  }

  #rewrite(schema) {
    return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${DOC_ID}#/$defs/`));
  }

  deref(node) {
    while (node && typeof node === 'object' && typeof node.$ref === 'string') node = pointer(this.doc, node.$ref);
    return node;
  }

  // Throws with every violation of `schema` by `value`.
  validate(schema, value, what) {
    const key = JSON.stringify(schema);
    let check = this.compiled.get(key);
    if (!check) {
      check = this.ajv.compile(this.#rewrite(schema));
      this.compiled.set(key, check);
    }
    if (!check(value)) {
      throw new Error(`${what} does not match its schema: ${this.ajv.errorsText(check.errors)}\n` +
        `  value: ${JSON.stringify(value).slice(0, 500)}`);
    }
  }

  operation(template, method) {
    const item = this.doc.paths[template];
    if (!item) throw new Error(`${template} is not a path of the document`);
    const op = item[method.toLowerCase()];
    if (!op) throw new Error(`${method} ${template} is not an operation of the document`);
    return op;
  }

  // Every (path, method, status) the document lists, as "METHOD path status", plus
  // "OTHER path 405" for each path that documents its 405 (x-sluice-other-methods).
  documented() {
    const keys = [];
    for (const [template, item] of Object.entries(this.doc.paths)) {
      for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options']) {
        if (!item[method]) continue;
        for (const status of Object.keys(item[method].responses)) {
          if (status !== 'default') keys.push(`${method.toUpperCase()} ${template} ${status}`);
        }
      }
      if (item['x-sluice-other-methods']) keys.push(`OTHER ${template} 405`);
    }
    return keys;
  }

  // `answer`: { status, headers: Headers-like with get(name), text }. `method` 'OTHER' checks
  // a 405 against the path's x-sluice-other-methods.
  check(template, method, answer, what) {
    let response;
    if (method === 'OTHER') {
      const other = this.doc.paths[template]?.['x-sluice-other-methods'];
      if (!other) throw new Error(`${template} documents no x-sluice-other-methods`);
      if (answer.status !== other.status) throw new Error(`${what}: status ${answer.status}, documented ${other.status}`);
      const allow = answer.headers.get('allow');
      // The admin listener answers a method it does not know at all for every /admin/ path.
      const listenerWide = template.startsWith('/admin/') && allow === 'GET, POST, DELETE';
      if (allow !== other.allow && !listenerWide) {
        throw new Error(`${what}: Allow "${allow}", documented "${other.allow}"`);
      }
      response = this.deref({ $ref: other.response });
    } else {
      const op = this.operation(template, method);
      response = this.deref(op.responses[String(answer.status)]);
      if (!response) {
        throw new Error(`${what}: status ${answer.status} is not documented for ${method} ${template}; body ${answer.text.slice(0, 300)}`);
      }
    }
    this.#checkContent(response, answer, what);
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const spec = this.deref(header);
      const value = answer.headers.get(name);
      if (value == null) {
        if (spec.required) throw new Error(`${what}: required header ${name} missing`);
        continue;
      }
      const typed = spec.schema?.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      this.validate(spec.schema ?? {}, typed, `${what}: header ${name}`);
    }
    this.exercised.add(`${method} ${template} ${answer.status}`);
  }

  #checkContent(response, answer, what) {
    if (!response.content) {
      // Pistache's own answers (413) carry a text without a Content-Type.
      const untyped = response['x-sluice-untyped-body'];
      if (answer.headers.get('content-type')) throw new Error(`${what}: a Content-Type where the document has none`);
      if (untyped) this.validate(untyped, answer.text, `${what}: body`);
      else if (answer.text.length) throw new Error(`${what}: a body where the document has none`);
      return;
    }
    const type = (answer.headers.get('content-type') ?? '').split(';')[0].trim();
    const media = response.content[type];
    if (!media) {
      throw new Error(`${what}: Content-Type "${type}" is not one of ${Object.keys(response.content).join(', ')}`);
    }
    if (type === 'application/json') {
      let body;
      try {
        body = JSON.parse(answer.text);
      } catch (error) {
        throw new Error(`${what}: the body is not JSON: ${answer.text.slice(0, 200)}`);
      }
      this.validate(media.schema, body, `${what}: body`);
      return;
    }
    this.validate(media.schema ?? {}, answer.text, `${what}: body`);
    if (media['x-sluice-line-schema']) {
      const lines = answer.text.split('\n').filter((line) => line.length);
      if (!lines.length) throw new Error(`${what}: no lines`);
      for (const [i, line] of lines.entries()) this.validate(media['x-sluice-line-schema'], JSON.parse(line), `${what}: line ${i + 1}`);
    }
  }
}
