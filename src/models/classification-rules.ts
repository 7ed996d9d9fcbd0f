import { and, count, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { conflict, isUniqueViolation, notFound } from '../shared/errors.js';
import { uuidOr404 } from '../shared/ids.js';
import { classificationRules } from './schema.js';

export type ClassificationRuleRow = typeof classificationRules.$inferSelect;

export interface RuleInput {
  label: string;
  keywords: string[];
  priority?: number;
}

/**
 * Every rule is tested against every classified text, so an organization's list is capped; 1000
 * rules of 200 keywords classify a page of text in well under the time of one model call.
 */
export const MAX_RULES_PER_ORG = 1000;

/** Keywords without surrounding blanks and without case-insensitive repeats (the first spelling stays). */
export function normalizeKeywords(keywords: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const k of keywords) {
    const word = k.trim();
    const key = word.toLowerCase();
    if (word && !seen.has(key)) {
      seen.add(key);
      out.push(word);
    }
  }
  return out;
}

/** Evaluation order: highest priority first, then label in code-point order (as classifyText breaks ties). */
export const byEvaluationOrder = (a: ClassificationRuleRow, b: ClassificationRuleRow) =>
  b.priority - a.priority || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);

const duplicate = (label: string) => conflict(`A classification rule labelled "${label}" already exists`, 'duplicate_label');

/** An organization's keyword rules; every query runs in withOrg (row-level security backs the filter). */
export class ClassificationRuleStore {
  constructor(private readonly database: Database) {}

  /** All of the organization's rules, in evaluation order. */
  async list(orgId: string): Promise<ClassificationRuleRow[]> {
    const rows = await this.database.withOrg(orgId, (tx) => tx.select().from(classificationRules).where(eq(classificationRules.orgId, orgId)));
    return rows.sort(byEvaluationOrder);
  }

  /** 409 `duplicate_label` when the label is taken, 409 `rule_limit_reached` past MAX_RULES_PER_ORG. */
  async create(orgId: string, input: RuleInput): Promise<ClassificationRuleRow> {
    const t = classificationRules;
    try {
      return await this.database.withOrg(orgId, async (tx) => {
        const [n] = await tx.select({ n: count() }).from(t).where(eq(t.orgId, orgId));
        if ((n?.n ?? 0) >= MAX_RULES_PER_ORG) {
          throw conflict(`An organization can have at most ${MAX_RULES_PER_ORG} classification rules`, 'rule_limit_reached');
        }
        const [row] = await tx
          .insert(t)
          .values({ orgId, label: input.label, keywords: normalizeKeywords(input.keywords), priority: input.priority ?? 0 })
          .returning();
        return row!;
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(input.label);
      throw err;
    }
  }

  /** Changes the given fields; 404 for an unknown id or another organization's rule. */
  async update(orgId: string, id: string, patch: Partial<RuleInput>): Promise<ClassificationRuleRow> {
    uuidOr404(id, 'Classification rule');
    const t = classificationRules;
    const set = {
      ...(patch.label === undefined ? {} : { label: patch.label }),
      ...(patch.keywords === undefined ? {} : { keywords: normalizeKeywords(patch.keywords) }),
      ...(patch.priority === undefined ? {} : { priority: patch.priority }),
      updatedAt: new Date(),
    };
    try {
      const [row] = await this.database.withOrg(orgId, (tx) =>
        tx
          .update(t)
          .set(set)
          .where(and(eq(t.orgId, orgId), eq(t.id, id)))
          .returning(),
      );
      if (!row) throw notFound('Classification rule');
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicate(patch.label ?? '');
      throw err;
    }
  }

  /** 404 for an unknown id or another organization's rule. */
  async delete(orgId: string, id: string): Promise<void> {
    uuidOr404(id, 'Classification rule');
    const t = classificationRules;
    const rows = await this.database.withOrg(orgId, (tx) =>
      tx
        .delete(t)
        .where(and(eq(t.orgId, orgId), eq(t.id, id)))
        .returning({ id: t.id }),
    );
    if (rows.length === 0) throw notFound('Classification rule');
  }
}
