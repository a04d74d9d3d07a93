// `caldp-process <ipppssoot> [input_path] [output_path] [config]`: CALDP's command line, mapped onto
// `caldera process`. CALDP config names (caldp-config-onsite/-offsite/-aws) are accepted as is.
import { main } from './main.ts';

const argv = process.argv.slice(2);
if (argv.length === 0 || argv.length > 4 || argv[0] === '-h' || argv[0] === '--help') {
  process.stderr.write(
    'usage: caldp-process <ipppssoot> [input_path=file:.] [output_path=file:.] [config=caldp-config-onsite]\n',
  );
  process.exitCode = argv[0] === '-h' || argv[0] === '--help' ? 0 : 2;
} else {
  const [dataset, input = 'file:.', output = 'file:.', config = 'caldp-config-onsite'] = argv;
  process.exitCode = await main(['process', dataset, input, output, config.replace(/^caldp-config-/, '')]);
}
