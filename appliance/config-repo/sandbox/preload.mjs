// Loaded before the pushed config in the config-check child: nothing in it may open a listening
// socket (Node 20's permission model covers files, child processes and workers, not the network).
import net from 'node:net';
import dgram from 'node:dgram';

const refuse = () => {
  throw new Error('a config check may not open a listening socket');
};
net.Server.prototype.listen = refuse;
dgram.Socket.prototype.bind = refuse;
