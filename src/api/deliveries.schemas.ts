import { z } from 'zod';
import { DeliveryStatus } from '../deliveries/delivery.entity';
import { pageQueryFields } from './subscriptions.schemas';

/** GET /subscriptions/:id/deliveries?status=&limit=&cursor= */
export const listDeliveriesQuerySchema = z.strictObject({
  status: z.enum(Object.values(DeliveryStatus), { message: 'must be PENDING, SUCCESS or FAILURE' }).optional(),
  ...pageQueryFields,
});
