// Registering brokers from the manager side (rest-api.md §1.1): POST /brokers, PUT|DELETE /brokers/{name}.
// Only the registry rows change: running managers keep the AMQP connection they were configured with.
import { Type } from 'typebox';
import { badParameters, conflict, notFoundResource } from '../../common/errors.js';
import {
  addBrokerNetworks,
  deleteBroker,
  getBroker,
  insertBroker,
} from '../../store/repositories/brokers.js';
import type { Api, ManagerContext } from '../context.js';
import { BrokerBody } from '../schemas/cluster.js';
import { errorResponses } from '../schemas/common.js';

const DEFAULT_PORT = 5671;
const Name = Type.String({ minLength: 1, maxLength: 255, pattern: '^[^/\\s]+$' });
const Networks = Type.Record(Type.String({ minLength: 1 }), Type.String({ minLength: 1 }));
const NameParam = Type.Object({ name: Name });
const AddBody = Type.Object(
  {
    name: Name,
    address: Type.String({ minLength: 1 }),
    port: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.Null()])),
    networks: Type.Optional(Type.Union([Networks, Type.Null()])),
  },
  { additionalProperties: false },
);
const UpdateBody = Type.Object({ networks: Networks }, { additionalProperties: false });

export function registerBrokerWrites(app: Api, ctx: ManagerContext): void {
  const { db } = ctx;
  app.post(
    '/brokers',
    {
      config: { permission: 'broker_manage' },
      schema: {
        summary: 'Register a RabbitMQ broker (the registry only; see docs/operations.md)',
        body: AddBody,
        response: { 200: BrokerBody, ...errorResponses },
      },
    },
    async (req) => {
      const { name, address } = req.body;
      // Cloudify: given networks must list the address; without them it is the `default` network.
      const given = req.body.networks;
      if (given && !Object.values(given).includes(address))
        throw badParameters(
          `The address ${address} is not in the networks given (${JSON.stringify(given)}): add it as one of them`,
        );
      const networks = given ?? { default: address };
      if (!(await insertBroker(db, { name, host: address, port: req.body.port ?? DEFAULT_PORT, networks })))
        throw conflict(`A broker named ${name} is already registered; pick another name or remove it first`);
      return (await getBroker(db, name)) ?? {};
    },
  );

  app.put(
    '/brokers/:name',
    {
      config: { permission: 'broker_manage' },
      schema: {
        summary: "Add networks to a broker, or change a network's address",
        params: NameParam,
        body: UpdateBody,
        response: { 200: BrokerBody, ...errorResponses },
      },
    },
    async (req) => {
      const { name } = req.params;
      if (!(await addBrokerNetworks(db, name, req.body.networks)))
        throw notFoundResource('RabbitMQBroker', name);
      return getBroker(db, name);
    },
  );

  app.delete(
    '/brokers/:name',
    {
      config: { permission: 'broker_manage' },
      schema: {
        summary: 'Unregister a broker (the RabbitMQ node itself is not touched)',
        params: NameParam,
        response: { 200: BrokerBody, ...errorResponses },
      },
    },
    async (req) => {
      const { name } = req.params;
      const before = await getBroker(db, name);
      const r = await deleteBroker(db, name);
      if (r === 'missing') throw notFoundResource('RabbitMQBroker', name);
      if (r === 'last')
        throw badParameters(
          `Broker ${name} is the last registered broker; register another one before removing it`,
        );
      return before ?? {};
    },
  );
}
