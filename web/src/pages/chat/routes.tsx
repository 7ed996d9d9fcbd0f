import type { RouteObject } from 'react-router';

/** Routes of the Chat area (paths relative to /, inside the app shell). Pages load on first visit. */
export const chatRoutes: RouteObject[] = [
  // One route with an optional segment, so starting a conversation (/chat?agentId= → /chat/:id) keeps the page mounted.
  { path: 'chat/:conversationId?', lazy: async () => ({ Component: (await import('./chat-page')).ChatPage }) },
];
