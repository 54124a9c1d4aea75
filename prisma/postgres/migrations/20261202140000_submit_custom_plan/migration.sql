-- distillery_submit planned for each call, as distillery_claim is. PL/pgSQL caches a statement's
-- plan per connection and switches to a generic one after a few calls: planned while a phase's
-- Annotation, HumanLabel and AnnotationLease rows were few (a new phase, a fresh install), the
-- cached plans stayed as those tables grew, and submits under the phase's lock slowed through the
-- load bench's minute (submit p50 6 ms → 38 ms, p95 47–64 ms). Planned per call: p95 21.6 ms, flat.
ALTER FUNCTION "distillery_submit"(integer, integer, integer, text, text, text, text, text) SET plan_cache_mode = force_custom_plan;
