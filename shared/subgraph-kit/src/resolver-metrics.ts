import { isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { Histogram } from 'prom-client';
import { LATENCY_BUCKETS, type Metrics } from '@qsmo/service-kit/metrics';

/**
 * Resolver latency, by schema coordinate (`Type.field`), for the fields that
 * have a resolver of their own: a property read costs nothing to time and
 * would only multiply series, so default-resolved fields are left as they
 * are. The wrapping happens once, when the schema is built, so no per-field
 * plugin hook runs for every field of every object. The label set is the
 * schema's own fields, hence bounded.
 */
export function instrumentResolvers(schema: GraphQLSchema, metrics: Metrics): GraphQLSchema {
  const histogram = resolverHistogram(metrics);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve;
      if (!resolve) continue;
      // The labelled child once per field: a label lookup per call is a hash of the labels on every resolution.
      const child = histogram.labels({ field: `${type.name}.${field.name}` });
      const timed: GraphQLFieldResolver<unknown, unknown> = (source, args, context, info) => {
        const end = child.startTimer();
        let result: unknown;
        try {
          result = resolve(source, args, context, info);
        } catch (error) {
          end();
          throw error;
        }
        if (result instanceof Promise) return result.finally(end);
        end();
        return result;
      };
      field.resolve = timed;
    }
  }
  return schema;
}

const histograms = new WeakMap<Metrics, Histogram<'field'>>();

/** One histogram per service's registry, however many schemas (rollout tests) it instruments. */
function resolverHistogram(metrics: Metrics): Histogram<'field'> {
  let histogram = histograms.get(metrics);
  if (!histogram) {
    histogram = new Histogram({
      name: 'graphql_resolver_duration_seconds',
      help: 'Latency of fields that have their own resolver (not plain property reads), by schema coordinate.',
      labelNames: ['field'],
      buckets: LATENCY_BUCKETS,
      registers: [metrics.registry],
    });
    histograms.set(metrics, histogram);
  }
  return histogram;
}
