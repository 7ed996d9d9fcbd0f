/** Initials of a name: "Front desk" → "FD", "alice" → "AL". */
export function initials(name: string): string {
  const words = name.trim().split(/[\s_-]+/).filter(Boolean);
  if (!words.length) return '?';
  if (words.length === 1) return words[0]!.slice(0, 2).toUpperCase();
  return (words[0]![0]! + words[1]![0]!).toUpperCase();
}

const HUES = [250, 200, 160, 130, 30, 10, 330, 290];

/** A stable color per agent (from its id). */
export function hueOf(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return HUES[h % HUES.length]!;
}

/**
 * A round avatar with the agent's initials; decorative (the name is always next to it or in a
 * label). Without a name (the agent is still loading) it is an empty circle of the agent's colour.
 */
export function AgentAvatar({ id, name, size = 36 }: { id: string; name: string | undefined; size?: number }) {
  const hue = hueOf(id);
  return (
    <span
      className="chat-avatar"
      aria-hidden="true"
      style={{ width: size, height: size, fontSize: size * 0.38, background: `hsl(${hue} 55% 42%)` }}
    >
      {name === undefined ? null : initials(name)}
    </span>
  );
}
