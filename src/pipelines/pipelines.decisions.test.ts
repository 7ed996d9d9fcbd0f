import { describe, expect, it } from 'vitest';
import { json } from '../../test/helpers/app.js';
import { useDecisionApi } from '../decisions/decisions.test-helpers.js';

/**
 * The two contracts decisions rely on (issue 16, the ops seed's first flow): the decision prompt
 * shows `PipelineService.contextOf`, and an ASSIGN_PIPELINE action goes through `pipeline_assign`,
 * whose assignee a later SEND_NOTIFICATION "to assignee" reaches; a staff member's id reaches their user.
 */
describe.each(['postgres', 'pglite'] as const)('a decision assigns to a pipeline on %s', (kind) => {
  const api = useDecisionApi(kind, ['pipeline_assign', 'notify_staff']);

  it('puts the contact form into "Sales Inquiries" with the least loaded sales person, and notifies them', async () => {
    const { roles } = api;
    const staff = async (name: string, extra: Record<string, unknown>) => json<{ id: string }>(await api.call('POST', '/staff', roles.admin, { name, roles: ['sales'], ...extra }));
    const busy = await staff('Busy Seller', {});
    const free = await staff('Free Seller', { userId: roles.member.userId, email: 'free@example.com' });
    const res = await api.call('POST', '/pipelines', roles.admin, { name: 'Sales Inquiries', stages: [{ name: 'New' }, { name: 'Won', kind: 'done' }], assignment: { mode: 'least_load', role: 'sales' } });
    expect(res.statusCode, res.body).toBe(201);
    const pipelineId = json<{ id: string }>(res).id;
    expect((await api.call('POST', `/pipelines/${pipelineId}/items`, roles.admin, { title: 'Earlier lead', assigneeId: busy.id })).statusCode).toBe(201);

    api.stub.reset();
    api.stub.enqueue({
      text: JSON.stringify({
        intent: 'SALES_INQUIRY',
        urgency: 4,
        confidence: 0.9,
        reasoning: 'Asks for a quote.',
        actions: [
          { type: 'ASSIGN_PIPELINE', params: { pipeline: 'sales inquiries', assigneeRole: 'sales' } },
          { type: 'SEND_NOTIFICATION', params: { to: 'assignee', title: 'New sales inquiry' } },
          { type: 'SEND_NOTIFICATION', params: { to: 'FREE_ID', title: 'By staff id' } },
        ],
      }).replace('FREE_ID', free.id),
    });
    const d = await api.decide({ name: 'Ada', email: 'ada@example.com', message: 'Could I get a quote?' });
    expect(d.status, JSON.stringify(d)).toBe('executed');
    // The prompt showed the pipelines and the staff with their load.
    expect(d.prompt).toContain('Sales Inquiries');
    expect(d.prompt).toMatch(/"name": "Busy Seller",[\s\S]*?"openItems": 1/);
    const assigned = d.actionResults[0]!;
    expect(assigned).toMatchObject({ type: 'ASSIGN_PIPELINE', status: 'succeeded', tool: 'pipeline_assign', output: { pipelineId, stageName: 'New', created: true, assignee: { id: free.id, userId: roles.member.userId } } });
    expect(d.actionResults[1]).toMatchObject({ type: 'SEND_NOTIFICATION', status: 'succeeded', tool: 'notify_staff' });

    const itemId = (assigned.output as { itemId: string }).itemId;
    const item = json<{ title: string; priority: number; contact: Record<string, string>; data: { decisionId: string } }>(await api.call('GET', `/pipeline-items/${itemId}`, roles.member));
    expect(item).toMatchObject({ priority: 4, contact: { name: 'Ada', email: 'ada@example.com' }, data: { decisionId: d.id } });
    const notes = json<{ items: { title: string }[] }>(await api.call('GET', '/notifications', roles.member)).items;
    expect(notes.map((n) => n.title)).toEqual(expect.arrayContaining(['New sales inquiry', 'By staff id']));
  });
});
