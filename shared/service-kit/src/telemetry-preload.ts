/**
 * Imported first by every service's entry point, before any module an
 * instrumentation patches (http, graphql, mongodb) is required. Does nothing
 * unless the OTel variables ask for tracing (see telemetry.ts).
 */
import { preloadInstrumentations } from './telemetry';

preloadInstrumentations();
