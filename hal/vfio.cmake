# hal/vfio.cmake - the VFIO backend of the hal table (hal/vfio*.c; which file
# holds what is in hal/vfio_internal.h), included from hal/CMakeLists.txt, and
# its host-side unit tests (tests/hal/test_vfio_*.c, ctest hal_vfio_*; they
# need no VFIO: a fake sysfs tree, fake /dev nodes, a real SIGBUS on a
# truncated file).
target_sources(e1k_hal PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/vfio.c
  ${CMAKE_CURRENT_LIST_DIR}/vfio_dma.c
  ${CMAKE_CURRENT_LIST_DIR}/vfio_sigbus.c
  ${CMAKE_CURRENT_LIST_DIR}/vfio_sysfs.c)
target_link_libraries(e1k_hal PUBLIC PkgConfig::LIBPCI)

if(COMMAND e1k_test)
  set(_vfio_tests ${CMAKE_CURRENT_LIST_DIR}/../tests/hal)
  foreach(t parse sysfs sigbus)
    e1k_test(hal_vfio_${t} SOURCES ${_vfio_tests}/test_vfio_${t}.c LIBS e1k_hal LABELS vfio)
  endforeach()
  # On a real device (the QEMU rig): skips (77) unless E1K_VFIO_BDF names a
  # function bound to vfio-pci.
  e1k_test(hal_vfio_device SOURCES ${_vfio_tests}/test_vfio_device.c LIBS e1k_hal
           LABELS vfio root)
  set_tests_properties(hal_vfio_device PROPERTIES SKIP_RETURN_CODE 77)
endif()
