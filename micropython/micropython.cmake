# micropython.cmake - entry point for CMake-based MicroPython ports (esp32,
# rp2): make ... USER_C_MODULES=/path/to/ussl/micropython/micropython.cmake
# Make-based ports use USER_C_MODULES=/path/to/ussl/micropython instead,
# which finds ussl/micropython.mk.  See docs/micropython.md.
include(${CMAKE_CURRENT_LIST_DIR}/ussl/micropython.cmake)
