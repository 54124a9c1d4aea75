import type { FormEvent } from 'react';

/** A form's onSubmit that stays on the page and hands the form's fields to `handle`. */
export function withFormData(handle: (fields: FormData) => void) {
  return (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    handle(new FormData(e.currentTarget));
  };
}
