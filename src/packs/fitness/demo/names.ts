// The demo gym's words: names and places of a fictional gym. Emails use example.com and phones the
// 555-01xx range, which are reserved for fiction.

export const GYM_NAME = 'Ironwood Fitness';
export const GYM_DOMAIN = 'ironwood.example';

export const FIRST_NAMES = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Oliver', 'Sophia', 'Elijah', 'Isabella', 'James', 'Mia', 'William', 'Amelia', 'Benjamin',
  'Harper', 'Lucas', 'Evelyn', 'Henry', 'Abigail', 'Theodore', 'Emily', 'Jack', 'Ella', 'Levi', 'Scarlett', 'Alexander', 'Grace',
  'Jackson', 'Chloe', 'Mateo', 'Victoria', 'Daniel', 'Riley', 'Michael', 'Aria', 'Mason', 'Lily', 'Sebastian', 'Aurora', 'Ethan',
  'Zoey', 'Logan', 'Nora', 'Owen', 'Camila', 'Samuel', 'Hannah', 'Jacob', 'Layla', 'Asher', 'Priya', 'Wei', 'Fatima', 'Diego', 'Yuki',
  'Kwame', 'Sofia', 'Omar', 'Ingrid', 'Ravi', 'Leila', 'Mateus', 'Anya', 'Tomasz', 'Chiara', 'Kenji', 'Amara', 'Luca', 'Nadia', 'Hugo',
];

export const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez',
  'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris',
  'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', 'Walker', 'Young', 'Allen', 'King', 'Wright', 'Scott', 'Torres', 'Nguyen',
  'Hill', 'Flores', 'Green', 'Adams', 'Nelson', 'Baker', 'Hall', 'Rivera', 'Campbell', 'Mitchell', 'Carter', 'Roberts', 'Patel',
  'Chen', 'Kim', 'Okafor', 'Novak', 'Rossi', 'Silva', 'Tanaka', 'Mensah', 'Kowalski', 'Haddad', 'Larsen', 'Dubois', 'Schmidt',
];

export const SOURCES = ['website', 'referral', 'walk_in', 'instagram', 'facebook', 'google', 'corporate'] as const;
export const SOURCE_WEIGHTS = [30, 20, 15, 12, 8, 10, 5];

export const MEMBER_TAGS = ['morning', 'evening', 'weekend', 'student', 'corporate', 'vip', 'personal_training', 'competitor'] as const;

export const CANCEL_REASONS = ['moving away', 'too expensive', 'not using it', 'injury', 'switched gym', 'schedule conflict'] as const;
export const CANCEL_REASON_WEIGHTS = [15, 25, 30, 10, 10, 10];
/** Why a subscription ends when its member moves to another plan, or stops paying. */
export const PLAN_CHANGE_REASON = 'plan change';
export const PAYMENT_FAILED_REASON = 'payment failed';

export const FAILURE_REASONS = ['card_declined', 'insufficient_funds', 'expired_card', 'bank_rejected'] as const;
export const FAILURE_REASON_WEIGHTS = [40, 35, 15, 10];

export const NOTE_BODIES = [
  'Asked about personal training packages.',
  'Prefers early morning classes before work.',
  'Recovering from a knee injury; avoid high-impact work for now.',
  'Interested in the nutrition workshop.',
  'Brought a friend to a class; the friend may join.',
  'Wants to move to the annual plan at renewal.',
  'Mentioned the showers were cold; passed on to facilities.',
  'Training for a half marathon in the spring.',
  'Asked to freeze the membership over the summer.',
  'Very happy with the spin instructors.',
];

/** Classes the gym runs: name, category, places, minutes, the rooms it may use. */
export const CLASS_TYPES = [
  { name: 'Yoga Flow', category: 'mind_body', capacity: 20, minutes: 60, room: 'Studio A' },
  { name: 'HIIT', category: 'cardio', capacity: 18, minutes: 45, room: 'Studio B' },
  { name: 'Spin', category: 'cycling', capacity: 24, minutes: 45, room: 'Spin Room' },
  { name: 'Pilates', category: 'mind_body', capacity: 14, minutes: 50, room: 'Studio A' },
  { name: 'Boxing', category: 'combat', capacity: 16, minutes: 60, room: 'Boxing Ring' },
  { name: 'Strength Club', category: 'strength', capacity: 12, minutes: 60, room: 'Weights Floor' },
  { name: 'Barre', category: 'mind_body', capacity: 16, minutes: 45, room: 'Studio B' },
  { name: 'Mobility', category: 'recovery', capacity: 15, minutes: 30, room: 'Studio A' },
] as const;

/** The class slots' hours of the day (UTC) and how popular each hour is. */
export const SLOT_HOURS = [6, 7, 9, 12, 17, 18, 19, 20] as const;
export const SLOT_HOUR_WEIGHTS = [10, 12, 6, 8, 12, 16, 14, 7];

/** The lead pipeline: name, position, won, lost. */
export const LEAD_STAGES = [
  { name: 'New', isWon: false, isLost: false },
  { name: 'Contacted', isWon: false, isLost: false },
  { name: 'Trial booked', isWon: false, isLost: false },
  { name: 'Toured', isWon: false, isLost: false },
  { name: 'Negotiating', isWon: false, isLost: false },
  { name: 'Won', isWon: true, isLost: false },
  { name: 'Lost', isWon: false, isLost: true },
] as const;
