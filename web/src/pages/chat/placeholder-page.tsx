import { Placeholder } from '../../components/placeholder';

/** PLACEHOLDER: replaced by the Chat pages (delete this file and update ./routes.tsx). */
export function ChatPlaceholderPage() {
  return <Placeholder title="Chat" description="Talk with your agents." />;
}
