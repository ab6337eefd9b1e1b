import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { Tone } from './format';

export function Card({ title, actions, children, className, labelledBy }: { title?: ReactNode; actions?: ReactNode; children: ReactNode; className?: string; labelledBy?: string }) {
  const id = useId();
  return (
    <section className={`card ${className ?? ''}`} aria-labelledby={title ? (labelledBy ?? id) : undefined}>
      {title || actions ? (
        <header className="card-header">
          {title ? <h2 id={labelledBy ?? id}>{title}</h2> : <span />}
          {actions ? <div className="card-actions">{actions}</div> : null}
        </header>
      ) : null}
      {children}
    </section>
  );
}

export function Badge({ tone = 'neutral', children }: { tone?: Tone; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state">
      <p className="empty-title">{title}</p>
      {children ? <div className="empty-body">{children}</div> : null}
    </div>
  );
}

export function ErrorNotice({ error, onRetry }: { error: Error; onRetry?: () => void }) {
  return (
    <div className="notice notice-danger" role="alert">
      <span>{error.message}</span>
      {onRetry ? (
        <button type="button" className="button button-small" onClick={onRetry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

/** Copies `value` to the clipboard; says so for a moment. */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 1500);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = async (): Promise<void> => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard refused (insecure origin, permissions): select the text instead so Ctrl-C works.
      const field = document.querySelector<HTMLInputElement>(`input[data-copy-value="${CSS.escape(label)}"]`);
      field?.select();
    }
    setCopied(true);
  };
  return (
    <button type="button" className="button button-small" onClick={() => void copy()} aria-label={`Copy ${label}`}>
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}

/** A read-only value with a copy button (endpoint URL, token). */
export function CopyField({ label, value, testId, secret = false }: { label: string; value: string; testId?: string; secret?: boolean }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-field">
        <input id={id} readOnly value={value} data-testid={testId} data-copy-value={label} className={secret ? 'mono secret' : 'mono'} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton value={value} label={label} />
      </div>
    </div>
  );
}

export interface TabItem<K extends string> {
  readonly key: K;
  readonly label: ReactNode;
}

/** WAI-ARIA tabs: arrow keys, Home and End move between them; the panel is the caller's `children`. */
export function Tabs<K extends string>({ items, selected, onSelect, label, idPrefix, variant = 'primary' }: { items: readonly TabItem<K>[]; selected: K; onSelect: (key: K) => void; label: string; idPrefix: string; variant?: 'primary' | 'secondary' }) {
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, index: number): void => {
    const last = items.length - 1;
    const target = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const item = items[target];
    if (!item) return;
    onSelect(item.key);
    refs.current[item.key]?.focus();
  };
  return (
    <div role="tablist" aria-label={label} className={`tabs tabs-${variant}`}>
      {items.map((item, index) => (
        <button
          key={item.key}
          ref={(el) => {
            refs.current[item.key] = el;
          }}
          type="button"
          role="tab"
          id={`${idPrefix}-tab-${item.key}`}
          aria-selected={item.key === selected}
          aria-controls={`${idPrefix}-panel`}
          tabIndex={item.key === selected ? 0 : -1}
          className="tab"
          onClick={() => onSelect(item.key)}
          onKeyDown={(e) => onKeyDown(e, index)}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}

export function TabPanel({ idPrefix, selected, children }: { idPrefix: string; selected: string; children: ReactNode }) {
  return (
    <div role="tabpanel" id={`${idPrefix}-panel`} aria-labelledby={`${idPrefix}-tab-${selected}`} className="tab-panel">
      {children}
    </div>
  );
}

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

/** Keeps Tab and Shift+Tab inside `container` (a modal must not let focus wander behind it). */
function trapTab(event: globalThis.KeyboardEvent, container: HTMLElement | null): void {
  if (event.key !== 'Tab' || !container) return;
  const items = [...container.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) return;
  const active = document.activeElement;
  if (event.shiftKey && (active === first || active === container)) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !container.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}

/** A side panel (modal dialog): Escape or the close button closes it; focus moves in, stays in, and goes back. */
export function SidePanel({ title, subtitle, onClose, children }: { title: string; subtitle?: ReactNode; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const id = useId();
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    const onKey = (event: globalThis.KeyboardEvent): void => {
      if (event.key === 'Escape') onClose();
      trapTab(event, ref.current);
    };
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, [onClose]);
  return (
    <div className="side-panel-backdrop" onClick={onClose}>
      <div className="side-panel" role="dialog" aria-modal="true" aria-labelledby={id} tabIndex={-1} ref={ref} onClick={(e) => e.stopPropagation()}>
        <header className="side-panel-header">
          <div>
            <h2 id={id}>{title}</h2>
            {subtitle ? <div className="muted">{subtitle}</div> : null}
          </div>
          <button type="button" className="button button-ghost" onClick={onClose} aria-label="Close panel">
            ✕
          </button>
        </header>
        <div className="side-panel-body">{children}</div>
      </div>
    </div>
  );
}

/** A confirmation dialog for destructive actions. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  busy = false,
  confirmDisabled = false,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  /** E.g. until the admin has typed what a destructive action asks for. */
  confirmDisabled?: boolean;
}) {
  const id = useId();
  const cancelRef = useRef<HTMLButtonElement>(null);
  const dialogRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    cancelRef.current?.focus();
    const onKey = (event: globalThis.KeyboardEvent): void => {
      if (event.key === 'Escape') onCancel();
      trapTab(event, dialogRef.current);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [onCancel]);
  return (
    <div className="dialog-backdrop">
      <div className="dialog" role="alertdialog" aria-modal="true" aria-labelledby={id} ref={dialogRef}>
        <h2 id={id}>{title}</h2>
        <div className="dialog-body">{children}</div>
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onCancel} ref={cancelRef}>
            Cancel
          </button>
          <button type="button" className="button button-danger" onClick={onConfirm} disabled={busy || confirmDisabled}>
            {confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}

/** Key/value rows. */
export function Facts({ rows }: { rows: readonly (readonly [string, ReactNode])[] }) {
  return (
    <dl className="facts">
      {rows.map(([k, v]) => (
        <div key={k} className="fact">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}
