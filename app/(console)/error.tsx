'use client';
import { ErrorPanel } from '@/components/layout/ErrorPanel';

/** Inside the console the sidebar stays; only the page area shows the error. */
export default function ConsoleError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return <ErrorPanel {...props} />;
}
