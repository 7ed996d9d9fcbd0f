import type { z } from 'zod';
import type { FieldError } from '../../../../shared/errors.js';
import type { goalSchema, listGoalsQuery, listMeasurementsQuery, listWorkoutPlansQuery, measurementSchema, workoutPlanSchema } from '../dto/progress.js';
import { isoDates, type ResourceDef, type Values } from '../resource.js';
import { fitnessGoals, fitnessMeasurements, fitnessWorkoutPlans } from '../schema.js';
import { eqIf, timestampSort } from './common.js';
import { contactRef, staffRef } from './people.js';

export const goalDef: ResourceDef<typeof fitnessGoals, z.output<typeof goalSchema>, z.output<typeof listGoalsQuery>> = {
  label: 'Goal',
  table: fitnessGoals,
  time: fitnessGoals.createdAt,
  sorts: { createdAt: timestampSort(fitnessGoals.createdAt) },
  filters: (q) => [eqIf(fitnessGoals.contactId, q.contactId), eqIf(fitnessGoals.kind, q.kind), eqIf(fitnessGoals.status, q.status)],
  refs: { contactId: contactRef },
  fromCreate: (input) => ({ ...input, ...(input.status === 'achieved' && !input.achievedAt ? { achievedAt: new Date() } : {}) }),
  fromUpdate: (patch, current) => {
    const set: Values = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    if (patch.status === 'achieved' && current.status !== 'achieved' && patch.achievedAt === undefined) set.achievedAt = new Date();
    return set;
  },
  check: (next) => (next.kind === 'pr' && !next.metric ? [{ path: 'body.metric', message: 'is required for a pr goal (the lift or test, e.g. back_squat)' }] : []),
  view: (row) => isoDates(row),
};

/** A measurement says something: a weight, a body-fat percentage, or a metric with its value. */
export function measurementProblems(next: Values): FieldError[] {
  const hasMetric = next.metric != null;
  const hasValue = next.value != null;
  if (hasMetric && !hasValue) return [{ path: 'body.value', message: 'is required with metric' }];
  if (hasValue && !hasMetric) return [{ path: 'body.metric', message: 'is required with value' }];
  if (next.weightKg == null && next.bodyFatPct == null && !hasMetric) return [{ path: 'body', message: 'give weightKg, bodyFatPct, or metric and value' }];
  return [];
}

export const measurementDef: ResourceDef<typeof fitnessMeasurements, z.output<typeof measurementSchema>, z.output<typeof listMeasurementsQuery>> = {
  label: 'Measurement',
  table: fitnessMeasurements,
  time: fitnessMeasurements.measuredAt,
  sorts: { measuredAt: timestampSort(fitnessMeasurements.measuredAt) },
  filters: (q) => [eqIf(fitnessMeasurements.contactId, q.contactId), eqIf(fitnessMeasurements.metric, q.metric)],
  refs: { contactId: contactRef },
  fromCreate: (input) => ({ ...input, measuredAt: input.measuredAt ?? new Date() }),
  check: measurementProblems,
  view: (row) => isoDates(row),
};

export const workoutPlanDef: ResourceDef<typeof fitnessWorkoutPlans, z.output<typeof workoutPlanSchema>, z.output<typeof listWorkoutPlansQuery>> = {
  label: 'Workout plan',
  table: fitnessWorkoutPlans,
  time: fitnessWorkoutPlans.createdAt,
  sorts: { createdAt: timestampSort(fitnessWorkoutPlans.createdAt) },
  filters: (q) => [eqIf(fitnessWorkoutPlans.contactId, q.contactId), eqIf(fitnessWorkoutPlans.createdBy, q.createdBy), eqIf(fitnessWorkoutPlans.staffId, q.staffId)],
  refs: { contactId: contactRef, staffId: staffRef },
  fromCreate: (input) => input,
  view: (row) => isoDates(row),
};
