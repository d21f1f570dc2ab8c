// Opens N @microsoft/signalr connections (WebSockets, negotiation skipped), subscribes each to a channel,
// prints "connected N", and holds them until a line arrives on stdin; then closes them and exits.
//     node hold.mjs URL TOKEN N CHANNEL [json|messagepack]
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../tests/node/'));
const signalR = require('@microsoft/signalr');

const [, , url, token, count, channel, protocol = 'json'] = process.argv;
const msgpack = protocol === 'messagepack' ? require('@microsoft/signalr-protocol-msgpack') : null;
const connections = [];
for (let i = 0; i < Number(count); i++) {
  const builder = new signalR.HubConnectionBuilder()
    .withUrl(url, { accessTokenFactory: () => token, skipNegotiation: true, transport: signalR.HttpTransportType.WebSockets })
    .configureLogging(signalR.LogLevel.None);
  const connection = (msgpack ? builder.withHubProtocol(new msgpack.MessagePackHubProtocol()) : builder).build();
  connection.on('publication', () => {});
  await connection.start();
  await connection.invoke('Subscribe', channel, null);
  connections.push(connection);
}

console.log(`connected ${connections.length}`);
process.stdin.once('data', async () => {
  await Promise.all(connections.map((c) => c.stop()));
  process.exit(0);
});
