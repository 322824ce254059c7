/**
 * Headless plant simulator: prints readings (and ground truth) as JSON lines on stdout.
 *
 *   node dist/nodes/lib/sim/cli.js --assets 4 --acceleration 1440 --seed 1
 *   node dist/nodes/lib/sim/cli.js --assets 4 --modbus 5020 --mqtt-embedded 1885 --quiet
 */
import os from 'node:os';
import path from 'node:path';
import { describeError } from '../errors';
import { SimClock } from './clock';
import { settingsFromConfig, type PlantSimConfig } from './config';
import { startPlantOutlets, type PlantOutlets } from './outlets';
import { PlantSimulator, type PlantSample } from './plant';

export const HELP = `Usage: node dist/nodes/lib/sim/cli.js [options]

Simulates a plant and prints one JSON line per reading ({"asset","sensor","value","ts","unit"})
and one per ground-truth event ({"truth":{"asset","fault","kind","ts"}}).

  --assets N            number of assets (default 4)
  --kind KIND           pump | motor | compressor | conveyor (default pump)
  --acceleration X      simulated seconds per real second (default 1440: a day per minute)
  --tick MS             real milliseconds between samples (default 1000)
  --seed N              seed (default 1)
  --fault A:F:ON:TTF[:SENSOR]
                        schedule fault F on asset A, onset after ON simulated hours, failing TTF
                        hours later (repeatable), e.g. --fault pump-1:bearing-wear:24:120
  --random RATE         random faults, RATE per asset per simulated 30 days (instead of --fault)
  --repair H            simulated hours from failure to repair (default 8)
  --hours H             stop after H simulated hours
  --fast                do not wait between ticks (needs --hours; cannot serve)
  --modbus PORT         serve the plant on a Modbus TCP server (unit id n = asset n; register map in the plant-sim help)
  --modbus-host HOST    interface of the Modbus server (default 127.0.0.1)
  --opcua PORT          serve the plant on an OPC UA server (Objects/Plant/<asset>/<sensor>)
  --opcua-host HOST     interface and endpoint host name of the OPC UA server (default 127.0.0.1)
  --opcua-security L    comma-separated security modes: None, Sign, SignAndEncrypt (default None)
  --opcua-user NAME     a user that may log in, with the password in PLANT_OPCUA_PASSWORD
  --opcua-no-anonymous  refuse anonymous sessions
  --opcua-pki DIR       certificate folder of the OPC UA server (default <tmp>/plant-sim-pki); X.509 user
                        certificates in DIR/users/trusted/certs/ may log in over Sign or SignAndEncrypt
  --mqtt URL            publish the readings to the MQTT broker at URL (mqtt://host:1883)
  --mqtt-embedded PORT  publish to a broker started here on 127.0.0.1:PORT
  --mqtt-prefix P       topic prefix (default plant)
  --mqtt-format F       reading (<prefix>/<asset>/<sensor>) | telemetry (<prefix>/<asset>/telemetry)
  --mqtt-qos Q          0 | 1 (default 0)
  --quiet               print no readings (serve only)
  --help                this text

Example: node dist/nodes/lib/sim/cli.js --assets 4 --acceleration 1440 --seed 1
`;

export interface CliOptions {
  config: PlantSimConfig;
  hours?: number;
  fast: boolean;
  quiet: boolean;
  opcuaUser?: string;
  opcuaPki?: string;
  help: boolean;
}

export function parseArgs(argv: string[]): CliOptions {
  const config: PlantSimConfig = { assetMode: 'count', scheduleMode: 'list', scenarios: [] };
  const scenarios: Array<Record<string, string>> = [];
  const options: CliOptions = { config, fast: false, quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--assets': config.assetCount = value(); break;
      case '--kind': config.assetKind = value(); break;
      case '--acceleration': config.acceleration = value(); break;
      case '--tick': config.tickMs = value(); break;
      case '--seed': config.seed = value(); break;
      case '--repair': config.repairHours = value(); break;
      case '--random': config.scheduleMode = 'random'; config.ratePerMonth = value(); break;
      case '--hours': options.hours = Number(value()); break;
      case '--fast': options.fast = true; break;
      case '--quiet': options.quiet = true; break;
      case '--modbus': config.modbusEnabled = true; config.modbusPort = value(); break;
      case '--modbus-host': config.modbusHost = value(); break;
      case '--opcua': config.opcuaEnabled = true; config.opcuaPort = value(); break;
      case '--opcua-host': config.opcuaHost = value(); break;
      case '--opcua-security': config.opcuaSecurityModes = value(); break;
      case '--opcua-user': options.opcuaUser = value(); break;
      case '--opcua-no-anonymous': config.opcuaAnonymous = false; break;
      case '--opcua-pki': options.opcuaPki = value(); break;
      case '--mqtt': config.mqttEnabled = true; config.mqttUrl = value(); break;
      case '--mqtt-embedded': config.mqttEnabled = true; config.mqttUrl = ''; config.mqttPort = value(); break;
      case '--mqtt-prefix': config.mqttPrefix = value(); break;
      case '--mqtt-format': config.mqttFormat = value(); break;
      case '--mqtt-qos': config.mqttQos = value(); break;
      case '--help': case '-h': options.help = true; break;
      case '--fault': {
        const [asset, fault, onsetHours, failureHours, sensor] = value().split(':');
        scenarios.push({ asset, fault, onsetHours, failureHours, sensor: sensor ?? '' });
        break;
      }
      default: throw new Error(`unknown option ${flag}`);
    }
  }
  config.scenarios = scenarios;
  if (options.fast && !(Number(options.hours) > 0)) throw new Error('--fast needs --hours');
  if (options.fast && (config.modbusEnabled || config.opcuaEnabled || config.mqttEnabled)) throw new Error('--fast cannot serve Modbus, OPC UA or MQTT');
  return options;
}

export function sampleLines(sample: PlantSample): string {
  let text = '';
  for (const event of sample.truth) text += `${JSON.stringify({ truth: event })}\n`;
  for (const reading of sample.readings) text += `${JSON.stringify(reading)}\n`;
  return text;
}

async function main(argv: string[]): Promise<void> {
  let options: CliOptions;
  try {
    options = parseArgs(argv);
    if (options.help) {
      process.stdout.write(HELP);
      return;
    }
  } catch (err) {
    process.stderr.write(`${describeError(err)}\n\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  const settings = settingsFromConfig(options.config);
  const start = Date.now();
  const plant = new PlantSimulator({ ...settings.plant, start });
  const end = options.hours === undefined ? Infinity : start + options.hours * 3_600_000;
  if (options.fast) {
    const step = settings.tickMs * settings.acceleration;
    for (let ts = start; ts <= end; ts += step) process.stdout.write(sampleLines(plant.sample(ts)));
    return;
  }
  const outlets: PlantOutlets = await startPlantOutlets(settings.plant.assets, settings, {
    opcuaPkiDir: options.opcuaPki ?? path.join(os.tmpdir(), 'plant-sim-pki'),
    opcuaUsername: options.opcuaUser,
    opcuaPassword: process.env.PLANT_OPCUA_PASSWORD,
    onMqttState: (state, err) => process.stderr.write(`MQTT ${state}${err ? `: ${describeError(err)}` : ''}\n`),
  });
  for (const line of outlets.describe()) process.stderr.write(`serving ${line}\n`);
  const clock = new SimClock(settings.acceleration, start);
  const finish = (): void => {
    clearInterval(timer);
    // Once the servers are closed nothing keeps the process alive; it exits after stdout drains.
    outlets.stop().catch((err: unknown) => {
      process.stderr.write(`${describeError(err)}\n`);
      process.exitCode = 1;
    });
  };
  const timer = setInterval(() => {
    const ts = Math.min(clock.simNow(), end);
    const sample = plant.sample(ts);
    outlets.update(sample.readings);
    if (!options.quiet) process.stdout.write(sampleLines(sample));
    if (ts >= end) finish();
  }, settings.tickMs);
  process.once('SIGINT', finish);
  process.once('SIGTERM', finish);
}

if (require.main === module) {
  // A closed pipe (`| head`) ends the run quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(0);
  });
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${describeError(err)}\n`);
    process.exitCode = 1;
  });
}
