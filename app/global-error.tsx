'use client';
import './globals.css';
import { ErrorPanel } from '@/components/layout/ErrorPanel';

/** When the root layout itself fails: it replaces the layout, so it brings its own html and body. */
export default function GlobalError(props: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <html lang="en">
      <body>
        <title>Error · Distillery</title>
        <ErrorPanel {...props} />
      </body>
    </html>
  );
}
