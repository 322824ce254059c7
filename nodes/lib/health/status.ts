/** Health status with hysteresis: a status is entered below one level and left above a higher one. */
import type { StatusThresholds } from './config';

export type HealthStatus = 'healthy' | 'attention' | 'critical';

export function nextStatus(current: HealthStatus, health: number, t: StatusThresholds): HealthStatus {
  if (current === 'critical') {
    if (health <= t.criticalLeave) return 'critical';
    return health > t.attentionLeave ? 'healthy' : 'attention';
  }
  if (health < t.criticalEnter) return 'critical';
  if (current === 'attention') return health > t.attentionLeave ? 'healthy' : 'attention';
  return health < t.attentionEnter ? 'attention' : 'healthy';
}
