// The fitness tools' enumerations: pure data, shared by the tables, the API shapes and the dashboard.

/** kept: no SMS provider set, the message waits in the outbox; sent: the provider took it; failed. */
export const SMS_STATUSES = ['kept', 'sent', 'failed'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];

export const CAMPAIGN_KINDS = ['retention', 'bulk'] as const;
export type CampaignKind = (typeof CAMPAIGN_KINDS)[number];
/** sending: recipients are being written to; done: every recipient has an outcome. */
export const CAMPAIGN_STATUSES = ['sending', 'done'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];
/** sent: the provider took it; queued: kept in an outbox (no provider); failed; pending: not yet handled. */
export const RECIPIENT_STATUSES = ['pending', 'sent', 'queued', 'failed'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

export const SOCIAL_PLATFORMS = ['instagram', 'facebook', 'x', 'tiktok', 'linkedin'] as const;
export type SocialPlatform = (typeof SOCIAL_PLATFORMS)[number];
/** scheduled: waiting to be published by a person (no network is called); published; canceled. */
export const SOCIAL_POST_STATUSES = ['scheduled', 'published', 'canceled'] as const;

/** Message channels the tools send on. `auto` picks per contact: email when they can get it, else SMS. */
export const MESSAGE_CHANNELS = ['auto', 'email', 'sms'] as const;
export type MessageChannel = (typeof MESSAGE_CHANNELS)[number];
/** service: about their membership, a booking, an account; marketing: offers and promotion (needs marketing consent). */
export const MESSAGE_PURPOSES = ['service', 'marketing'] as const;
export type MessagePurpose = (typeof MESSAGE_PURPOSES)[number];
