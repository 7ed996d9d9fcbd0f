// A workout plan's deterministic skeleton: a weekly split from days per week, exercises by focus
// and equipment, and a progression over the weeks (the last week of four or more lighter). The
// agent's model refines it; this gives it a sound structure to start from.

export const FOCUSES = ['strength', 'fat_loss', 'endurance', 'general', 'mobility'] as const;
export type Focus = (typeof FOCUSES)[number];
export const LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
export type Level = (typeof LEVELS)[number];
export const EQUIPMENT = ['full_gym', 'dumbbells', 'bodyweight'] as const;
export type Equipment = (typeof EQUIPMENT)[number];

type Pattern = 'squat' | 'hinge' | 'push' | 'pull' | 'lunge' | 'core' | 'carry' | 'conditioning' | 'mobility';

const LIBRARY: Record<Equipment, Record<Pattern, string[]>> = {
  full_gym: {
    squat: ['Back squat', 'Goblet squat', 'Leg press'],
    hinge: ['Romanian deadlift', 'Trap-bar deadlift', 'Hip thrust'],
    push: ['Bench press', 'Overhead press', 'Incline dumbbell press'],
    pull: ['Lat pulldown', 'Seated cable row', 'Pull-up (assisted as needed)'],
    lunge: ['Walking lunge', 'Bulgarian split squat', 'Step-up'],
    core: ['Plank', 'Cable woodchop', 'Dead bug'],
    carry: ["Farmer's carry", 'Suitcase carry'],
    conditioning: ['Rower intervals', 'Assault bike intervals', 'Sled push'],
    mobility: ['Hip flexor stretch', 'Thoracic rotations', 'Hamstring floss'],
  },
  dumbbells: {
    squat: ['Goblet squat', 'Dumbbell front squat'],
    hinge: ['Dumbbell Romanian deadlift', 'Single-leg deadlift'],
    push: ['Dumbbell bench press', 'Dumbbell shoulder press', 'Push-up'],
    pull: ['One-arm dumbbell row', 'Chest-supported row', 'Rear-delt fly'],
    lunge: ['Dumbbell reverse lunge', 'Split squat', 'Step-up'],
    core: ['Plank', 'Dead bug', 'Side plank'],
    carry: ["Farmer's carry", 'Suitcase carry'],
    conditioning: ['Dumbbell thrusters', 'Burpees', 'Jump rope'],
    mobility: ["World's greatest stretch", 'Cat-cow', '90/90 hips'],
  },
  bodyweight: {
    squat: ['Air squat', 'Tempo squat', 'Jump squat'],
    hinge: ['Glute bridge', 'Single-leg hip thrust', 'Good morning (no load)'],
    push: ['Push-up', 'Pike push-up', 'Dips (bench)'],
    pull: ['Inverted row', 'Towel row', 'Superman'],
    lunge: ['Reverse lunge', 'Split squat', 'Lateral lunge'],
    core: ['Plank', 'Hollow hold', 'Mountain climbers'],
    carry: ['Bear crawl', 'Crab walk'],
    conditioning: ['Burpees', 'High knees', 'Skater hops'],
    mobility: ["World's greatest stretch", 'Cat-cow', 'Deep squat hold'],
  },
};

/** Sessions of a week by days per week: full body for few days, splits for more. */
const SPLITS: Record<number, { name: string; patterns: Pattern[] }[]> = {
  1: [{ name: 'Full body', patterns: ['squat', 'push', 'hinge', 'pull', 'core'] }],
  2: [
    { name: 'Full body A', patterns: ['squat', 'push', 'pull', 'core'] },
    { name: 'Full body B', patterns: ['hinge', 'lunge', 'push', 'pull', 'carry'] },
  ],
  3: [
    { name: 'Full body A', patterns: ['squat', 'push', 'pull', 'core'] },
    { name: 'Full body B', patterns: ['hinge', 'push', 'pull', 'carry'] },
    { name: 'Full body C', patterns: ['lunge', 'push', 'pull', 'core'] },
  ],
  4: [
    { name: 'Lower A', patterns: ['squat', 'hinge', 'lunge', 'core'] },
    { name: 'Upper A', patterns: ['push', 'pull', 'push', 'pull'] },
    { name: 'Lower B', patterns: ['hinge', 'squat', 'lunge', 'carry'] },
    { name: 'Upper B', patterns: ['pull', 'push', 'pull', 'core'] },
  ],
  5: [
    { name: 'Lower', patterns: ['squat', 'hinge', 'lunge', 'core'] },
    { name: 'Push', patterns: ['push', 'push', 'core'] },
    { name: 'Pull', patterns: ['pull', 'pull', 'carry'] },
    { name: 'Lower', patterns: ['hinge', 'squat', 'lunge'] },
    { name: 'Upper', patterns: ['push', 'pull', 'core'] },
  ],
  6: [
    { name: 'Push', patterns: ['push', 'push', 'core'] },
    { name: 'Pull', patterns: ['pull', 'pull', 'carry'] },
    { name: 'Legs', patterns: ['squat', 'hinge', 'lunge'] },
    { name: 'Push', patterns: ['push', 'push', 'core'] },
    { name: 'Pull', patterns: ['pull', 'pull', 'carry'] },
    { name: 'Legs', patterns: ['hinge', 'squat', 'lunge'] },
  ],
};
SPLITS[7] = [...SPLITS[6]!, { name: 'Active recovery', patterns: ['mobility', 'mobility', 'core'] }];

/** Sets, reps and effort by focus and level (RPE: rate of perceived exertion, 1–10). */
const DOSE: Record<Focus, { sets: number; reps: string; rest: string; rpe: number; conditioningMinutes: number }> = {
  strength: { sets: 4, reps: '4-6', rest: '2-3 min', rpe: 7, conditioningMinutes: 5 },
  fat_loss: { sets: 3, reps: '10-15', rest: '45-60 s', rpe: 7, conditioningMinutes: 15 },
  endurance: { sets: 2, reps: '15-20', rest: '30-45 s', rpe: 6, conditioningMinutes: 20 },
  general: { sets: 3, reps: '8-12', rest: '60-90 s', rpe: 7, conditioningMinutes: 10 },
  mobility: { sets: 2, reps: '8-10 slow', rest: '30 s', rpe: 5, conditioningMinutes: 5 },
};
const LEVEL_SETS: Record<Level, number> = { beginner: -1, intermediate: 0, advanced: 1 };

export interface PlanInput {
  focus: Focus;
  level: Level;
  equipment: Equipment;
  daysPerWeek: number;
  weeks: number;
  sessionMinutes: number;
}

/** The plan: weeks of sessions of blocks (warm-up, main lifts, conditioning, cool-down). */
export function buildWorkoutPlan(p: PlanInput) {
  const split = SPLITS[Math.min(7, Math.max(1, p.daysPerWeek))]!;
  const dose = DOSE[p.focus];
  const lib = LIBRARY[p.equipment];
  // Longer sessions carry more exercises: about 10 minutes each after warm-up, conditioning and cool-down.
  const room = Math.max(2, Math.floor((p.sessionMinutes - 10 - dose.conditioningMinutes - 5) / 10));
  const weeks = Array.from({ length: p.weeks }, (_, w) => {
    const deload = p.weeks >= 4 && w === p.weeks - 1;
    const sets = Math.max(1, dose.sets + LEVEL_SETS[p.level] + (deload ? -1 : Math.min(1, Math.floor(w / 2))));
    const rpe = deload ? dose.rpe - 2 : Math.min(9, dose.rpe + Math.floor(w / 2));
    return {
      week: w + 1,
      note: deload ? 'Lighter week: fewer sets, easier effort, to recover before the next block' : w === 0 ? 'Learn the movements; leave 3 reps in reserve' : 'Add a little load or a rep where the last week felt easy',
      sessions: split.map((day, d) => ({
        day: d + 1,
        name: day.name,
        minutes: p.sessionMinutes,
        warmUp: '5-10 min easy cardio, then dynamic mobility for the day\'s movements',
        exercises: [...day.patterns, ...(day.patterns.length < room ? ['core' as Pattern] : [])].slice(0, room).map((pattern, i) => {
          const options = lib[pattern];
          // Rotate exercises by day and week so the same movement is not repeated every time.
          const name = options[(d + i + Math.floor(w / 2)) % options.length]!;
          return { pattern, exercise: name, sets, reps: pattern === 'carry' ? '30-40 m' : pattern === 'core' ? '30-45 s' : dose.reps, rest: dose.rest, rpe };
        }),
        conditioning: p.focus === 'mobility' ? null : { minutes: deload ? Math.ceil(dose.conditioningMinutes / 2) : dose.conditioningMinutes, options: lib.conditioning },
        coolDown: `5 min: ${lib.mobility.join(', ')}`,
      })),
    };
  });
  return { version: 1, ...p, split: split.map((s) => s.name), weeksDetail: weeks };
}
