import type { ComponentChildren } from 'preact';

/** A Settings table: `head` holds the column titles, an empty one for a column without a title. */
export function Table({ head, children }: { head: readonly string[]; children: ComponentChildren }) {
  return (
    <table class="settings-table">
      <thead>
        <tr>
          {head.map((title, i) => (
            <th key={i}>{title}</th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}
