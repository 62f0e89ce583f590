// `saddle plot DIR`: draws a result directory with gnuplot, to DIR/plot.png and DIR/plot.svg,
// and keeps the gnuplot script (DIR/plot.gp) for users to restyle.
//   scan           heat map of a column of phases.csv (default: the first order parameter of the
//                  selected branch), the selected phase's boundaries visible as colour jumps
//   phase_diagram  every boundary_<name>.csv as a labelled curve
//   solve          order parameters of each branch as labelled points (small multiples are overkill)
#pragma once

#include <iosfwd>
#include <string>

namespace saddle {

// Throws InputError for a directory that is not a result, an unknown column, or a missing gnuplot.
void plot_result(const std::string& dir, const std::string& column, std::ostream& out);

}  // namespace saddle
