import fc from 'fast-check';
import { filterAst } from '../../test-support/scim.arbitraries';
import { parseFilter } from './filter.parser';
import { printFilter } from './filter.printer';

describe('printFilter / parseFilter', () => {
  it('parse(print(ast)) equals ast for random filters', () => {
    fc.assert(
      fc.property(filterAst, (ast) => {
        expect(parseFilter(printFilter(ast))).toEqual(ast);
      }),
      { numRuns: 500 },
    );
  });

  it('print is stable: printing the re-parsed tree gives the same text', () => {
    fc.assert(
      fc.property(filterAst, (ast) => {
        const text = printFilter(ast);
        expect(printFilter(parseFilter(text))).toBe(text);
      }),
      { numRuns: 200 },
    );
  });

  it('prints only the parentheses precedence needs', () => {
    expect(printFilter(parseFilter('((a pr) and ((b pr) or (c pr)))'))).toBe('a pr and (b pr or c pr)');
    expect(printFilter(parseFilter('a pr and (b pr and c pr)'))).toBe('a pr and (b pr and c pr)');
  });
});
