/**
 * This process's metrics: one instance, since a process is one worker of one appliance (and
 * prom-client's process metrics are per process anyway). Code that counts imports `metrics`
 * and calls the port's methods (core/metrics.ts); only this folder knows prom-client.
 */
import { ApplianceMetrics } from './registry.ts';

export const metrics = new ApplianceMetrics();
export type { MetricsPort } from '../../core/metrics.ts';
