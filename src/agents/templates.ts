import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { notFound } from '../shared/errors.js';
import { templateFileSchema, type AgentTemplate, type TemplateFile, type templateListQuery } from './template-dto.js';

/**
 * Agent templates as files anyone can add to: `src/packs/<pack>/templates/<id>.yaml`, read from
 * the package's `src/` (the package ships it, as the SQL functions do), so the same files serve
 * `src/` (tsx, tests) and `dist/`. Every file is checked against templateFileSchema when the
 * catalog is made (at server start): a broken template stops the start with the file and the field.
 */
export const PACKS_DIR = fileURLToPath(new URL('../../src/packs/', import.meta.url));

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** Reads and checks every template of every pack under `packsDir`, sorted by pack then name. */
export function loadTemplates(packsDir = PACKS_DIR): TemplateFile[] {
  const found: TemplateFile[] = [];
  const byId = new Map<string, string>();
  let packs: string[];
  try {
    packs = readdirSync(packsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  for (const pack of packs.sort()) {
    const dir = path.join(packsDir, pack, 'templates');
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
    } catch {
      continue;
    }
    for (const file of files.sort()) {
      const where = path.join(path.basename(packsDir), pack, 'templates', file);
      const template = readTemplate(path.join(dir, file), where);
      const id = file.replace(/\.ya?ml$/, '');
      if (template.id !== id) throw new TemplateError(`${where}: id is "${template.id}"; it must be the file's name, "${id}"`);
      if (template.pack !== pack) throw new TemplateError(`${where}: pack is "${template.pack}"; it must be its folder's name, "${pack}"`);
      const other = byId.get(template.id);
      if (other) throw new TemplateError(`${where}: the id "${template.id}" is already used by ${other}`);
      byId.set(template.id, where);
      found.push(template);
    }
  }
  return found.sort((a, b) => a.pack.localeCompare(b.pack) || a.name.localeCompare(b.name));
}

function readTemplate(file: string, where: string): TemplateFile {
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TemplateError(`${where}: not readable YAML: ${(err as Error).message}`, { cause: err });
  }
  const checked = templateFileSchema.safeParse(raw);
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `${i.path.join('.') || '(the file)'}: ${i.message}`);
    throw new TemplateError(`${where}: ${problems.join('; ')}`);
  }
  return checked.data;
}

export type TemplateListQuery = z.output<typeof templateListQuery>;

/**
 * The templates this server offers. `hasTool` tells which tool names exist, so a template can say
 * which of its tools this server lacks (installing skips them).
 */
export class TemplateCatalog {
  private readonly byId: Map<string, TemplateFile>;

  constructor(
    readonly templates: TemplateFile[],
    private readonly hasTool: (name: string) => boolean,
  ) {
    this.byId = new Map(templates.map((t) => [t.id, t]));
  }

  /** Templates matching every filter given: pack (exact), tag (any case), and each word of `q`. */
  list(q: TemplateListQuery = {}): AgentTemplate[] {
    const words = (q.q ?? '').toLowerCase().split(/\s+/).filter(Boolean);
    const tag = q.tag?.toLowerCase();
    return this.templates
      .filter((t) => !q.pack || t.pack === q.pack)
      .filter((t) => !tag || t.tags.some((x) => x.toLowerCase() === tag))
      .filter((t) => {
        const text = [t.name, t.description, t.role, t.category, ...t.tags, ...t.taskTypes.map((x) => x.type)].join(' ').toLowerCase();
        return words.every((w) => text.includes(w));
      })
      .map((t) => this.view(t));
  }

  /** One template; 404 when there is none with that id. */
  get(id: string): AgentTemplate {
    return this.view(this.file(id));
  }

  /** The template's file as loaded; 404 when there is none with that id. */
  file(id: string): TemplateFile {
    const t = this.byId.get(id);
    if (!t) throw notFound('Agent template');
    return t;
  }

  private view(t: TemplateFile): AgentTemplate {
    return {
      id: t.id,
      name: t.name,
      pack: t.pack,
      category: t.category,
      description: t.description,
      role: t.role,
      personality: t.personality,
      systemPrompt: t.systemPrompt,
      recommendedModel: t.recommendedModel,
      models: [...new Set([t.recommendedModel, ...t.alternativeModels])],
      temperature: t.temperature,
      tools: t.tools,
      approvalTools: t.approvalTools,
      missingTools: t.tools.filter((name) => !this.hasTool(name)),
      taskTypes: t.taskTypes,
      tags: t.tags,
      limits: t.limits,
    };
  }
}
