import { z } from 'zod';
import { GOAL_KINDS, GOAL_STATUSES, WORKOUT_PLAN_AUTHORS } from '../enums.js';
import { idFilter, jsonObject, listQuery, name, nullableDay, nullableRef, nullableText, nullableTime, optionalAll, out, ref, rowBase, rowTimes, text, time } from './common.js';

// Goals, progress measurements and workout plans.

const value = z.number().finite().min(-1_000_000).max(1_000_000);

// ---- goals ----
const goalFields = {
  contactId: ref('Contact'),
  kind: z.enum(GOAL_KINDS),
  title: text(200),
  metric: nullableText(100).describe('For a PR: the lift or test (back_squat, 5k_run); required then'),
  unit: nullableText(20).describe('kg, %, s, visits/week, …'),
  startValue: value.nullable(),
  targetValue: value,
  targetDate: nullableDay,
  status: z.enum(GOAL_STATUSES),
  achievedAt: nullableTime.describe('Set to now when the status becomes achieved without one'),
};
export const createGoalBody = z
  .strictObject({
    ...goalFields,
    title: goalFields.title.default(''),
    metric: goalFields.metric.default(null),
    unit: goalFields.unit.default(null),
    startValue: goalFields.startValue.default(null),
    targetDate: nullableDay.default(null),
    status: goalFields.status.default('active'),
    achievedAt: goalFields.achievedAt.default(null),
  })
  .meta({ id: 'FitnessCreateGoal' });
export const updateGoalBody = z.strictObject(optionalAll(goalFields)).meta({ id: 'FitnessUpdateGoal' });
export const goalSchema = z
  .object({
    ...rowTimes,
    contactId: out.id,
    kind: z.enum(GOAL_KINDS),
    title: out.text,
    metric: out.nullableText,
    unit: out.nullableText,
    startValue: out.nullableNumber,
    targetValue: out.number,
    targetDate: out.day,
    status: z.enum(GOAL_STATUSES),
    achievedAt: out.nullableTime,
  })
  .meta({ id: 'FitnessGoal' });
export const listGoalsQuery = listQuery(['createdAt'], 'createdAt').extend({
  contactId: idFilter,
  kind: z.enum(GOAL_KINDS).optional(),
  status: z.enum(GOAL_STATUSES).optional(),
});

// ---- measurements ----
const measurementFields = {
  contactId: ref('Contact'),
  measuredAt: time.describe('Default now'),
  weightKg: z.number().finite().gt(0).max(1000).nullable(),
  bodyFatPct: z.number().finite().min(0).max(100).nullable(),
  metric: nullableText(100).describe('A named result (back_squat, 5k_run) with its value'),
  value: value.nullable(),
  unit: nullableText(20),
  notes: text(2000),
};
/** At least one of weightKg, bodyFatPct, or metric with value. */
export const createMeasurementBody = z
  .strictObject({
    ...measurementFields,
    measuredAt: time.optional(),
    weightKg: measurementFields.weightKg.default(null),
    bodyFatPct: measurementFields.bodyFatPct.default(null),
    metric: measurementFields.metric.default(null),
    value: measurementFields.value.default(null),
    unit: measurementFields.unit.default(null),
    notes: measurementFields.notes.default(''),
  })
  .meta({ id: 'FitnessCreateMeasurement' });
export const updateMeasurementBody = z.strictObject(optionalAll(measurementFields)).meta({ id: 'FitnessUpdateMeasurement' });
export const measurementSchema = z
  .object({
    ...rowBase,
    contactId: out.id,
    measuredAt: out.time,
    weightKg: out.nullableNumber,
    bodyFatPct: out.nullableNumber,
    metric: out.nullableText,
    value: out.nullableNumber,
    unit: out.nullableText,
    notes: out.text,
  })
  .meta({ id: 'FitnessMeasurement' });
export const listMeasurementsQuery = listQuery(['measuredAt'], 'measuredAt').extend({
  contactId: idFilter,
  metric: z.string().trim().min(1).max(100).optional(),
});

// ---- workout plans ----
const workoutPlanFields = {
  contactId: ref('Contact'),
  title: name(200),
  plan: jsonObject.describe('The plan itself (weeks, days, exercises …), as JSON'),
  createdBy: z.enum(WORKOUT_PLAN_AUTHORS),
  staffId: nullableRef('Staff member'),
  runId: nullableRef('Run').describe("The agent's run that wrote it"),
};
export const createWorkoutPlanBody = z
  .strictObject({
    ...workoutPlanFields,
    createdBy: workoutPlanFields.createdBy.default('staff'),
    staffId: workoutPlanFields.staffId.default(null),
    runId: workoutPlanFields.runId.default(null),
  })
  .meta({ id: 'FitnessCreateWorkoutPlan' });
export const updateWorkoutPlanBody = z.strictObject(optionalAll(workoutPlanFields)).meta({ id: 'FitnessUpdateWorkoutPlan' });
export const workoutPlanSchema = z
  .object({
    ...rowTimes,
    contactId: out.id,
    title: out.text,
    plan: jsonObject,
    createdBy: z.enum(WORKOUT_PLAN_AUTHORS),
    staffId: out.nullableId,
    runId: out.nullableId,
  })
  .meta({ id: 'FitnessWorkoutPlan' });
export const listWorkoutPlansQuery = listQuery(['createdAt'], 'createdAt').extend({
  contactId: idFilter,
  createdBy: z.enum(WORKOUT_PLAN_AUTHORS).optional(),
  staffId: idFilter,
});
