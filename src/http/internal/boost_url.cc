// Compiles Boost.URL (header-only mode via src.hpp) once, for the whole program.
#include <boost/url/src.hpp>
